using System;
using System.ComponentModel;
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

/// <summary>
/// Declares a filter that the generator composes around listeners (an <see cref="IEventFilter"/>), module request and
/// command handlers (an <see cref="IModuleFilter"/>), or both when the class implements both.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventFilterAttribute : Attribute
{
    /// <summary>Position in the chain: lower runs first (outermost). Two filters with the same order are reported (ER0007).</summary>
    public int Order { get; set; }

    /// <summary>
    /// Restricts the filter to events, requests and commands assignable to this type (a base class or interface).
    /// Default: every one.
    /// </summary>
    public Type? AppliesTo { get; set; }
}

/// <summary>The rest of a filter chain, handed to <see cref="IEventFilter.InvokeAsync{TEvent}"/>. A struct: passing it allocates nothing.</summary>
/// <typeparam name="TEvent">The event's concrete type.</typeparam>
public readonly struct ListenerNext<TEvent>
{
    private readonly FilterChain<TEvent> _chain;
    private readonly int _index;
    private readonly IServiceProvider? _services;

    internal ListenerNext(FilterChain<TEvent> chain, int index, IServiceProvider? services)
    {
        _chain = chain;
        _index = index;
        _services = services;
    }

    /// <summary>The listener this chain ends in.</summary>
    public ListenerInfo Listener => _chain.Listener;

    /// <summary>The event's stable name.</summary>
    public string EventName => _chain.EventName;

    /// <summary>Runs the later filters and then the listener.</summary>
    public ValueTask InvokeAsync(TEvent @event, CancellationToken cancellationToken) =>
        _chain.InvokeAsync(@event, _index, _services, cancellationToken);
}

/// <summary>
/// The filters around one listener of one event. The generator emits one sealed subclass per filtered listener, whose
/// <see cref="InvokeAsync(TEvent, int, IServiceProvider, CancellationToken)"/> calls each filter's
/// <c>InvokeAsync&lt;TEvent&gt;</c> on its concrete class and then the listener: direct calls, no generic interface
/// dispatch. Filter instances are resolved on first use, so filters may depend on the publisher without a
/// construction cycle.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class FilterChain<TEvent>
{
    /// <summary>Creates the chain. Called by generated code.</summary>
    /// <param name="listener">The listener the chain wraps.</param>
    /// <param name="eventName">The event's stable name.</param>
    protected FilterChain(ListenerInfo listener, string eventName)
    {
        Listener = listener;
        EventName = eventName;
    }

    /// <summary>The wrapped listener.</summary>
    public ListenerInfo Listener { get; }

    /// <summary>The event's stable name.</summary>
    public string EventName { get; }

    /// <summary>
    /// Runs the chain from the filter at <paramref name="index"/> (outermost: 0) inwards; past the last filter, the
    /// listener itself.
    /// </summary>
    public abstract ValueTask InvokeAsync(TEvent @event, int index, IServiceProvider? services, CancellationToken cancellationToken);

    /// <summary>What the filter at <paramref name="index"/> - 1 calls as its <c>next</c>. Called by generated code.</summary>
    protected ListenerNext<TEvent> Next(int index, IServiceProvider? services) => new(this, index, services);
}
