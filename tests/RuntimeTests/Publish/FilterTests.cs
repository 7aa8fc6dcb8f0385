using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;

namespace EventRouter.Tests.Publish;

/// <summary>Events the test filters apply to (AppliesTo keeps them away from every other test's events).</summary>
public interface IFiltered
{
    string Mode { get; }
}

public sealed record FilteredEvent(string Mode) : IFiltered;

[EventListener]
public sealed class FilteredFirst : IEventListener<FilteredEvent>
{
    public ValueTask HandleAsync(FilteredEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("first");
        return @event.Mode == "fail-first" ? throw new InvalidOperationException("first failed") : default;
    }
}

[EventListener]
public sealed class FilteredSecond : IEventListener<FilteredEvent>
{
    public async ValueTask HandleAsync(FilteredEvent @event, CancellationToken cancellationToken)
    {
        if (@event.Mode == "async")
        {
            await Task.Yield();
        }
        Journal.Write("second");
    }
}

/// <summary>Outermost: records before/after and every exception it observes.</summary>
[EventFilter(Order = 1, AppliesTo = typeof(IFiltered))]
public sealed class RecordingFilter : IEventFilter
{
    public async ValueTask InvokeAsync<TEvent>(TEvent @event, ListenerNext<TEvent> next, CancellationToken cancellationToken)
    {
        var name = next.Listener.ListenerType.Name;
        Journal.Write($"before:{name}");
        try
        {
            await next.InvokeAsync(@event, cancellationToken);
            Journal.Write($"after:{name}");
        }
        catch (Exception ex)
        {
            Journal.Write($"observed:{name}:{ex.Message}");
            throw;
        }
    }
}

/// <summary>Inner: short-circuits the second listener only, when asked to; completes synchronously otherwise.</summary>
[EventFilter(Order = 2, AppliesTo = typeof(IFiltered))]
public sealed class SkippingFilter : IEventFilter
{
    public ValueTask InvokeAsync<TEvent>(TEvent @event, ListenerNext<TEvent> next, CancellationToken cancellationToken)
    {
        if (@event is IFiltered { Mode: "skip-second" } && next.Listener.ListenerType == typeof(FilteredSecond))
        {
            Journal.Write("skipped:FilteredSecond");
            return default;
        }
        return next.InvokeAsync(@event, cancellationToken);
    }
}

public sealed class FilterTests
{
    private readonly Journal _journal = new();

    public FilterTests() => Journal.Current.Value = _journal;

    [Fact]
    public async Task Filters_RunInOrderAroundEachListener()
    {
        await new EventDispatcher().PublishAsync(new FilteredEvent("plain"));

        Assert.Equal(
            new[] { "before:FilteredFirst", "first", "after:FilteredFirst", "before:FilteredSecond", "second", "after:FilteredSecond" },
            _journal.Entries);
    }

    [Fact]
    public async Task Filter_ShortCircuit_SkipsOnlyItsOwnListener()
    {
        await new EventDispatcher().PublishAsync(new FilteredEvent("skip-second"));

        Assert.Equal(
            new[] { "before:FilteredFirst", "first", "after:FilteredFirst", "before:FilteredSecond", "skipped:FilteredSecond", "after:FilteredSecond" },
            _journal.Entries);
    }

    [Fact]
    public async Task Filter_ObservesListenerException_AndOtherListenersStillRun()
    {
        var error = await Assert.ThrowsAsync<EventPublishException>(() => new EventDispatcher().PublishAsync(new FilteredEvent("fail-first")).AsTask());

        Assert.Equal(
            new[] { "before:FilteredFirst", "first", "observed:FilteredFirst:first failed", "before:FilteredSecond", "second", "after:FilteredSecond" },
            _journal.Entries);
        Assert.Equal(typeof(FilteredFirst), Assert.Single(error.Failures).Listener.ListenerType);
    }

    [Fact]
    public async Task Filters_WrapAsyncListeners()
    {
        await new EventDispatcher().PublishAsync(new FilteredEvent("async"));

        Assert.Equal("after:FilteredSecond", _journal.Entries[^1]);
        Assert.Equal("second", _journal.Entries[^2]);
    }

    [Fact]
    public async Task Filters_ApplyToPerListenerInvocation_UsedByTheDispatchLoop()
    {
        var route = new EventDispatcher().GetRoute(typeof(FilteredEvent))!;

        await route.InvokeAsync(new FilteredEvent("plain"), 1, null, CancellationToken.None);

        Assert.Equal(new[] { "before:FilteredSecond", "second", "after:FilteredSecond" }, _journal.Entries);
    }

    [Fact]
    public async Task Filters_DoNotApplyOutsideAppliesTo()
    {
        await new EventDispatcher().PublishAsync(new OrderPlaced(1));

        Assert.DoesNotContain(_journal.Entries, e => e.StartsWith("before:", StringComparison.Ordinal));
    }
}

public interface ICounted
{
}

public sealed record CountedPing(int N) : ICounted;

[EventListener]
public sealed class CountedPingListener : IEventListener<CountedPing>
{
    public ValueTask HandleAsync(CountedPing @event, CancellationToken cancellationToken) => default;
}

[EventFilter(Order = 10, AppliesTo = typeof(ICounted))]
public sealed class CountingFilter : IEventFilter
{
    public static long Calls;

    public ValueTask InvokeAsync<TEvent>(TEvent @event, ListenerNext<TEvent> next, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        return next.InvokeAsync(@event, cancellationToken);
    }
}

[Collection(TelemetrySensitive.Name)]
public sealed class SynchronousFilterAllocationTests
{
    [Fact]
    public void Publish_WithSynchronousFilter_AllocatesNothing()
    {
        var dispatcher = new EventDispatcher();
        var ping = new CountedPing(1);
        for (var i = 0; i < 100; i++)
        {
            _ = dispatcher.PublishAsync(ping);
        }
        var calls = Interlocked.Read(ref CountingFilter.Calls);

        var allocated = Allocations.OnThisThread(_ => Assert.True(dispatcher.PublishAsync(ping).IsCompletedSuccessfully), warmUps: 0);

        Assert.Equal(0, allocated);
        Assert.Equal(calls + 1000, Interlocked.Read(ref CountingFilter.Calls));
    }
}
