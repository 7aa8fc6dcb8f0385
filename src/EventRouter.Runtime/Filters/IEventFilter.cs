using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>
/// Middleware around listener invocations: logging, validation, transactions, tenant context. The generator composes
/// every applicable filter into the dispatch code, in <see cref="EventFilterAttribute.Order"/>, around each listener
/// separately, for awaited publish and for the dispatch loop's deliveries alike.
/// </summary>
/// <remarks>
/// A filter sees the event, the listener it wraps (<see cref="ListenerNext{TEvent}.Listener"/>) and the token. It can run
/// code before and after <c>next.InvokeAsync</c>, observe exceptions, or not call next at all: that skips only the
/// listener it wraps, never the others. Completing synchronously keeps the publish allocation-free.
/// </remarks>
public interface IEventFilter
{
    /// <summary>Runs around one listener's handling of one event.</summary>
    /// <param name="event">The event (its concrete type).</param>
    /// <param name="next">The rest of the chain: later filters, then the listener.</param>
    /// <param name="cancellationToken">The publisher's (or the dispatch loop's) token.</param>
    ValueTask InvokeAsync<TEvent>(TEvent @event, ListenerNext<TEvent> next, CancellationToken cancellationToken);
}
