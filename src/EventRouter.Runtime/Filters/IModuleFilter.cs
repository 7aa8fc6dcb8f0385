using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter;

/// <summary>
/// Middleware around module handlers: logging, validation, authorization, metrics. Declared with
/// <see cref="EventFilterAttribute"/> like event filters; the generator composes every applicable filter, in
/// <see cref="EventFilterAttribute.Order"/>, around each request and command handler of each <c>[ModuleServer]</c>.
/// </summary>
/// <remarks>
/// The chain runs on the module's server, inside its one-message-at-a-time guarantee: a filter may touch the module's
/// state like a handler does, and a request it makes to the same module fails with <see cref="ModuleReentrancyException"/>.
/// A filter can run code before and after <c>next.InvokeAsync</c>, observe or replace exceptions, or not call next at
/// all (a request filter then returns the response itself). Both methods default to calling next, so a filter only
/// implements the one it cares about. Completing synchronously keeps the request allocation-free.
/// </remarks>
public interface IModuleFilter
{
    /// <summary>Runs around one request's handler.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="next">The rest of the chain: later filters, then the module's handler.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    /// <returns>The response the caller receives.</returns>
    ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken) =>
        next.InvokeAsync(request, cancellationToken);

    /// <summary>Runs around one command's handler.</summary>
    /// <typeparam name="TCommand">The command type.</typeparam>
    /// <param name="command">The command.</param>
    /// <param name="next">The rest of the chain: later filters, then the module's handler.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    /// <returns>Completes when the command is handled; a failure is reported by the server like a handler's.</returns>
    ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken cancellationToken) =>
        next.InvokeAsync(command, cancellationToken);
}
