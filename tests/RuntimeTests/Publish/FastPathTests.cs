using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;

namespace EventRouter.Tests.Publish;

/// <summary>
/// Three listeners that complete synchronously unless told otherwise: the generated fast path, with a try per
/// listener and one shared slow-path exit, must hand over at the right listener whichever one throws, is pending or
/// cancels.
/// </summary>
/// <param name="ThrowAt">The step that throws synchronously, or -1.</param>
/// <param name="PendingAt">The step that completes asynchronously, or -1.</param>
/// <param name="CancelAt">The step that cancels <paramref name="Source"/> before returning, or -1.</param>
public sealed record StepEvent(int ThrowAt = -1, int PendingAt = -1, int CancelAt = -1, CancellationTokenSource? Source = null);

[EventListener]
public sealed class Step0 : IEventListener<StepEvent>
{
    public ValueTask HandleAsync(StepEvent @event, CancellationToken cancellationToken) => Steps.Run(0, @event);
}

[EventListener]
public sealed class Step1 : IEventListener<StepEvent>
{
    public ValueTask HandleAsync(StepEvent @event, CancellationToken cancellationToken) => Steps.Run(1, @event);
}

[EventListener]
public sealed class Step2 : IEventListener<StepEvent>
{
    public ValueTask HandleAsync(StepEvent @event, CancellationToken cancellationToken) => Steps.Run(2, @event);
}

internal static class Steps
{
    public static ValueTask Run(int step, StepEvent @event)
    {
        Journal.Write($"step{step}");
        if (@event.CancelAt == step)
        {
            @event.Source!.Cancel();
        }
        if (@event.ThrowAt == step)
        {
            throw new InvalidOperationException($"step{step} failed");
        }
        return @event.PendingAt == step ? CompleteLaterAsync(step) : default;
    }

    private static async ValueTask CompleteLaterAsync(int step)
    {
        await Task.Yield();
        Journal.Write($"step{step}-done");
    }
}

// Alone, so no parallel test's trace or metrics listener sends these publishes down the instrumented route path.
[Collection(TelemetrySensitive.Name)]
public sealed class FastPathTests
{
    private readonly Journal _journal = new();

    public FastPathTests() => Journal.Current.Value = _journal;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ListenerThrowsSynchronously_AtAnyPosition_OthersRunAndOnlyItIsReported(int step)
    {
        var error = await Assert.ThrowsAsync<EventPublishException>(
            () => new EventDispatcher().PublishAsync(new StepEvent(ThrowAt: step)).AsTask());

        Assert.Equal(new[] { "step0", "step1", "step2" }, _journal.Entries);
        var failure = Assert.Single(error.Failures);
        Assert.Equal(new[] { typeof(Step0), typeof(Step1), typeof(Step2) }[step], failure.Listener.ListenerType);
        Assert.Equal($"step{step} failed", failure.Exception.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ListenerPending_AtAnyPosition_IsAwaitedBeforeTheNext(int step)
    {
        await new EventDispatcher().PublishAsync(new StepEvent(PendingAt: step));

        var expected = new[] { "step0", "step1", "step2" }.ToList();
        expected.Insert(step + 1, $"step{step}-done");
        Assert.Equal(expected, _journal.Entries);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task TokenCancelledByASynchronousListener_LaterListenersAreSkipped(int step)
    {
        using var source = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new EventDispatcher().PublishAsync(new StepEvent(CancelAt: step, Source: source), source.Token).AsTask());

        Assert.Equal(new[] { "step0", "step1", "step2" }.Take(step + 1), _journal.Entries);
    }

    [Fact]
    public async Task SynchronousFailureThenCancellation_FailureIsReportedAndLaterListenersSkipped()
    {
        using var source = new CancellationTokenSource();

        var error = await Assert.ThrowsAsync<EventPublishException>(
            () => new EventDispatcher().PublishAsync(new StepEvent(ThrowAt: 0, CancelAt: 1, Source: source), source.Token).AsTask());

        Assert.Equal(new[] { "step0", "step1" }, _journal.Entries);
        Assert.Equal(typeof(Step0), Assert.Single(error.Failures).Listener.ListenerType);
    }
}
