using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>
/// Carries a module's messages to a server in another process (for example through a message broker). A generated
/// typed client built on a transport sends every request and command through it instead of a local
/// <see cref="ModuleServer{TModule}"/>; the caller's code does not change.
/// </summary>
/// <remarks>
/// A transport keeps the module's contract: a request completes with the handler's response, or fails with the
/// handler's error or a <see cref="ModuleRequestTimeoutException"/>; it never waits forever. A command completes once
/// the transport has handed it on durably (not when the module has run it).
/// </remarks>
public interface IModuleTransport
{
    /// <summary>Sends a request to the remote module and waits for its response.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    ValueTask<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken);

    /// <summary>Hands a command on to the remote module.</summary>
    /// <typeparam name="TCommand">The command type.</typeparam>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    ValueTask SendAsync<TCommand>(TCommand command, CancellationToken cancellationToken);
}
