using System;
using System.Collections.Generic;
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

    /// <summary>
    /// Runs around one stream request's handler. The returned items are what the caller reads; the module enumerates
    /// them on its server, so code around <c>await foreach</c> over <paramref name="next"/> runs before the first item
    /// and after the last one (or the failure, or the caller's early end), still inside the module's guarantee.
    /// </summary>
    /// <typeparam name="TRequest">The stream request type.</typeparam>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="next">The rest of the chain: later filters, then the module's handler.</param>
    /// <param name="cancellationToken">Cancelled when the caller stops reading or the module stops.</param>
    /// <returns>The items the caller receives.</returns>
    IAsyncEnumerable<TItem> InvokeStreamAsync<TRequest, TItem>(TRequest request, StreamNext<TRequest, TItem> next, CancellationToken cancellationToken) =>
        next.InvokeAsync(request, cancellationToken);
}
