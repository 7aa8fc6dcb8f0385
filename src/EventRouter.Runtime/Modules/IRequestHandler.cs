using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>Handles requests of type <typeparamref name="TRequest"/> inside a module server and answers each with a <typeparamref name="TResponse"/>.</summary>
/// <typeparam name="TRequest">The request type; a module handles each request type at most once.</typeparam>
/// <typeparam name="TResponse">The response type.</typeparam>
public interface IRequestHandler<in TRequest, TResponse>
{
    /// <summary>Handles one request. The module runs one message at a time, so module state needs no locks.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    ValueTask<TResponse> HandleAsync(TRequest request, CancellationToken cancellationToken);
}
