using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.CompilerServices;

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
