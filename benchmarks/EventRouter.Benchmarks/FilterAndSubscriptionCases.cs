// Two comparisons: a publish whose one listener is wrapped by a synchronous filter, and a publish of an
// event nobody subscribed to while subscriptions for other event types exist.
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Benchmarks;

/// <summary>Marks the events the benchmark filter applies to; no other benchmark event carries it.</summary>
public interface IFilteredBenchmarkEvent
{
}

/// <summary>The event of the filtered case: same shape as <see cref="Ping1"/>.</summary>
public sealed class FilteredPing1 : IFilteredBenchmarkEvent
{
    public int Value;
}

[EventListener]
public sealed class FilteredP1Listener : IEventListener<FilteredPing1>
{
    public int Count;

    public ValueTask HandleAsync(FilteredPing1 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

/// <summary>A pass-through filter that completes synchronously: the cost of the filter machinery itself.</summary>
[EventFilter(Order = 1, AppliesTo = typeof(IFilteredBenchmarkEvent))]
public sealed class PassThroughFilter : IEventFilter
{
    public int Count;

    public ValueTask InvokeAsync<TEvent>(TEvent @event, ListenerNext<TEvent> next, CancellationToken cancellationToken)
    {
        Count++;
        return next.InvokeAsync(@event, cancellationToken);
    }
}
