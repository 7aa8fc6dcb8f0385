using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using EventRouter.Generated;

namespace EventRouter.Tests.Publish;

/// <summary>An event whose two listeners complete when the test says: the first synchronously unless told, the last through a reusable source.</summary>
public sealed class HeldEvent
{
    public bool FirstPending { get; init; }

    public HeldSource Last { get; } = new();

    public HeldSource First { get; } = new();
}

/// <summary>A completion the test drives by hand, reusable without allocating (what a pooled asynchronous operation returns).</summary>
public sealed class HeldSource : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core;

    public ValueTask Start()
    {
        _core.Reset();
        return new ValueTask(this, _core.Version);
    }

    public void Complete() => _core.SetResult(true);

    public void Fail(Exception exception) => _core.SetException(exception);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void GetResult(short token) => _core.GetResult(token);
}

[EventListener]
public sealed class HeldFirst : IEventListener<HeldEvent>
{
    public ValueTask HandleAsync(HeldEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("first");
        return @event.FirstPending ? @event.First.Start() : default;
    }
}

[EventListener]
public sealed class HeldLast : IEventListener<HeldEvent>
{
    public ValueTask HandleAsync(HeldEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("last");
        return @event.Last.Start();
    }
}

/// <summary>
/// A publish whose last listener is still running when the others are done waits for it without an async state
/// machine: the same outcomes as every other sequential path, and no allocation of its own.
/// </summary>
// Alone: a parallel test's trace listener would send these publishes down the instrumented route path.
[Collection(TelemetrySensitive.Name)]
public sealed class AsyncLastListenerTests
{
    private readonly Journal _journal = new();

    public AsyncLastListenerTests() => Journal.Current.Value = _journal;

    [Fact]
    public async Task LastListenerPending_PublishCompletesWhenItDoes()
    {
        var held = new HeldEvent();

        var publish = new EventDispatcher().PublishAsync(held);
        Assert.False(publish.IsCompleted);
        held.Last.Complete();

        await publish;
        Assert.Equal(new[] { "first", "last" }, _journal.Entries);
    }

    [Fact]
    public async Task LastListenerCompletes_CallersContinuationRunsInlineOnThatThread()
    {
        var held = new HeldEvent();
        var publish = new EventDispatcher().PublishAsync(held);
        var ranOn = 0;
        // Without the test runner's synchronization context, which the awaiter would capture and post to.
        var runner = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            publish.GetAwaiter().UnsafeOnCompleted(() => ranOn = Environment.CurrentManagedThreadId);
            held.Last.Complete();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(runner);
        }

        // No thread-pool hop of the publish's own between the listener finishing and its caller resuming.
        Assert.Equal(Environment.CurrentManagedThreadId, ranOn);
        await publish;
    }

    [Fact]
    public async Task LastListenerFailsLater_ThrowsEventPublishExceptionNamingIt()
    {
        var held = new HeldEvent();

        var publish = new EventDispatcher().PublishAsync(held).AsTask();
        held.Last.Fail(new InvalidOperationException("last failed"));

        var error = await Assert.ThrowsAsync<EventPublishException>(() => publish);
        var failure = Assert.Single(error.Failures);
        Assert.Equal(typeof(HeldLast), failure.Listener.ListenerType);
        Assert.Equal("last failed", failure.Exception.Message);
    }

    [Fact]
    public async Task LastListenerThrowsTheCallersCancellation_ThrowsOperationCanceled()
    {
        using var source = new CancellationTokenSource();
        var held = new HeldEvent();

        var publish = new EventDispatcher().PublishAsync(held, source.Token).AsTask();
        source.Cancel();
        held.Last.Fail(new OperationCanceledException(source.Token));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publish);
        Assert.IsNotType<EventPublishException>(error);
        Assert.Equal(source.Token, error.CancellationToken);
    }

    [Fact]
    public async Task LastListenerThrowsAnotherCancellation_IsAFailure()
    {
        using var source = new CancellationTokenSource();
        using var own = new CancellationTokenSource();
        own.Cancel();
        var held = new HeldEvent();

        var publish = new EventDispatcher().PublishAsync(held, source.Token).AsTask();
        source.Cancel();
        held.Last.Fail(new OperationCanceledException(own.Token));

        var error = await Assert.ThrowsAsync<EventPublishException>(() => publish);
        Assert.Equal(typeof(HeldLast), Assert.Single(error.Failures).Listener.ListenerType);
    }

    [Fact]
    public async Task EarlierListenerPending_LastStillRunsAfterIt()
    {
        var held = new HeldEvent { FirstPending = true };

        var publish = new EventDispatcher().PublishAsync(held).AsTask();
        Assert.Equal(new[] { "first" }, _journal.Entries);
        held.First.Complete();
        Assert.Equal(new[] { "first", "last" }, _journal.Entries);
        held.Last.Complete();

        await publish.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void LastListenerPending_PublishAllocatesNothing()
    {
        var dispatcher = new EventDispatcher();
        var held = new HeldEvent();
        Journal.Current.Value = null; // the journal's own growth would count

        var allocated = Allocations.OnThisThread(_ =>
        {
            var publish = dispatcher.PublishAsync(held);
            held.Last.Complete();
            publish.GetAwaiter().GetResult();
        });

        Assert.Equal(0, allocated);
    }
}
