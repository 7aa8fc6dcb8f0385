using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.CompilerServices;

namespace EventRouter;

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
