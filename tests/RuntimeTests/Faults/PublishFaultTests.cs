using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;

namespace EventRouter.Tests.Faults;

/// <summary>What each scripted listener does, in the order given by <see cref="ScriptedFault.Script"/>.</summary>
public enum FaultAction
{
    Succeed,
    SucceedAsync,
    Throw,
    ThrowAsync,
    OwnCancel,
    OwnCancelAsync,
    CancelCallerThenSucceed,
    CancelCallerThenThrowCallerCancel,
    CancelCallerThenThrowCallerCancelAsync,
    CancelCallerThenThrowAsync,
}

/// <summary>An event whose three listeners follow a script; the caller's token source travels with it.</summary>
public sealed record ScriptedFault(FaultAction[] Script, CancellationTokenSource Caller);

[EventListener]
public sealed class ScriptedFaultListener0 : IEventListener<ScriptedFault>
{
    public ValueTask HandleAsync(ScriptedFault @event, CancellationToken cancellationToken) => ScriptedFaults.Run(@event, 0, cancellationToken);
}

[EventListener]
public sealed class ScriptedFaultListener1 : IEventListener<ScriptedFault>
{
    public ValueTask HandleAsync(ScriptedFault @event, CancellationToken cancellationToken) => ScriptedFaults.Run(@event, 1, cancellationToken);
}

[EventListener]
public sealed class ScriptedFaultListener2 : IEventListener<ScriptedFault>
{
    public ValueTask HandleAsync(ScriptedFault @event, CancellationToken cancellationToken) => ScriptedFaults.Run(@event, 2, cancellationToken);
}

internal static class ScriptedFaults
{
    public static ValueTask Run(ScriptedFault e, int index, CancellationToken token)
    {
        switch (e.Script[index])
        {
            case FaultAction.Succeed:
                return default;
            case FaultAction.SucceedAsync:
                return YieldAsync();
            case FaultAction.Throw:
                throw new InvalidOperationException("listener " + index);
            case FaultAction.ThrowAsync:
                return ThrowAsync(index);
            case FaultAction.OwnCancel:
                throw new OperationCanceledException("listener's own timeout " + index);
            case FaultAction.OwnCancelAsync:
                return OwnCancelAsync(index);
            case FaultAction.CancelCallerThenSucceed:
                e.Caller.Cancel();
                return default;
            case FaultAction.CancelCallerThenThrowCallerCancel:
                e.Caller.Cancel();
                token.ThrowIfCancellationRequested();
                return default;
            case FaultAction.CancelCallerThenThrowCallerCancelAsync:
                e.Caller.Cancel();
                return DelayAsync(token);
            default:
                e.Caller.Cancel();
                return ThrowAsync(index);
        }
    }

    private static async ValueTask YieldAsync() => await Task.Yield();

    // Task-backed on purpose: a Task whose exception nobody observes raises TaskScheduler.UnobservedTaskException
    // when it is collected, which the tests count (a ValueTask's own box would not).
    private static ValueTask ThrowAsync(int index) => new(ThrowTaskAsync(index));

    private static async Task ThrowTaskAsync(int index)
    {
        await Task.Yield();
        throw new InvalidOperationException("listener " + index);
    }

    private static ValueTask OwnCancelAsync(int index) => new(OwnCancelTaskAsync(index));

    private static async Task OwnCancelTaskAsync(int index)
    {
        await Task.Yield();
        using var own = new CancellationTokenSource();
        own.Cancel();
        own.Token.ThrowIfCancellationRequested(); // a token the caller never saw: the listener's own failure
    }

    private static async ValueTask DelayAsync(CancellationToken token) => await Task.Delay(Timeout.Infinite, token);

    public static bool Cancels(FaultAction a) => a >= FaultAction.CancelCallerThenSucceed;

    public static bool Fails(FaultAction a) =>
        a is FaultAction.Throw or FaultAction.ThrowAsync or FaultAction.OwnCancel or FaultAction.OwnCancelAsync or FaultAction.CancelCallerThenThrowAsync;
}

/// <summary>
/// Random listener scripts through every publish entry and mode: a listener failure (including a listener's own
/// OperationCanceledException) always wins over the caller's cancellation, and the failures reported are exactly
/// the listeners that failed.
/// </summary>
[Collection(TelemetrySensitive.Name)]
public sealed class PublishFaultTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RandomScripts_EveryEntryAndMode_FailuresWinOverCancellation(bool traced)
    {
        // A trace listener moves every publish onto the instrumented route path.
        using var tracing = traced ? new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == EventRouterDiagnostics.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
        } : null;
        if (tracing is not null)
        {
            System.Diagnostics.ActivitySource.AddActivityListener(tracing);
        }
        var unobserved = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> countUnobserved = (_, args) =>
        {
            if (args.Exception.InnerExceptions.Any(x => x.Message.StartsWith("listener", StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref unobserved);
            }
        };
        TaskScheduler.UnobservedTaskException += countUnobserved;
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        var sequential = new EventDispatcher();
        var concurrent = new EventDispatcher(new EventRouterOptions { PublishMode = PublishMode.Concurrent });
        var withSubscriber = new EventDispatcher();
        using var subscription = withSubscriber.Subscribe<ScriptedFault>((_, _) => default, "extra");
        const int Cases = 3000;
        long faults = 0, wrong = 0;
        var firstWrong = "";
        for (var c = 0; c < Cases; c++)
        {
            var script = Enumerable.Range(0, 3).Select(_ => (FaultAction)random.Next(10)).ToArray();
            var mode = random.Next(3);
            var entry = random.Next(3);
            using var caller = new CancellationTokenSource();
            var e = new ScriptedFault(script, caller);
            var dispatcher = mode switch { 0 => sequential, 1 => concurrent, _ => withSubscriber };

            // The expected outcome. Sequential: the listeners (and the subscriber) after the one that cancelled are
            // skipped, which makes the publish cancelled; a cancellation after the last one costs nothing.
            var failed = new List<int>();
            var cancelRequested = false;
            var cancelled = false;
            var slots = mode == 2 ? 4 : 3;
            for (var i = 0; i < slots; i++)
            {
                if (cancelRequested && mode != 1)
                {
                    cancelled = true;
                    break;
                }
                if (i == 3)
                {
                    break; // the subscriber succeeds
                }
                if (ScriptedFaults.Fails(script[i]))
                {
                    failed.Add(i);
                }
                cancelRequested |= ScriptedFaults.Cancels(script[i]);
                cancelled |= script[i] is FaultAction.CancelCallerThenThrowCallerCancel or FaultAction.CancelCallerThenThrowCallerCancelAsync;
            }
            faults += failed.Count + (cancelRequested ? 1 : 0);

            var task = entry switch
            {
                0 => dispatcher.PublishAsync(e, caller.Token).AsTask(),
                1 => ((IEventPublisher)dispatcher).PublishAsync((object)e, caller.Token).AsTask(),
                _ => ((EventDispatcherBase)dispatcher).PublishAsync<ScriptedFault>(e, caller.Token).AsTask(),
            };
            var ex = await Record.ExceptionAsync(() => task.WaitAsync(TimeSpan.FromSeconds(30)));

            var expected = failed.Count > 0 ? $"failed {string.Join(",", failed)}" : cancelled ? "cancelled" : "ok";
            var actual = ex switch
            {
                null => "ok",
                EventPublishException p => "failed " + string.Join(",", p.Failures.Where(f => f.Listener.Name != "extra").Select(f => f.Listener.Name[^1..])),
                OperationCanceledException => "cancelled",
                _ => "other " + ex.GetType().Name,
            };
            if (expected != actual)
            {
                wrong++;
                if (firstWrong.Length == 0)
                {
                    firstWrong = $"case {c}: mode {mode}, entry {entry}, script [{string.Join(", ", script)}]: expected {expected}, got {actual}";
                }
            }
        }
        // Every listener task was awaited: none is left for the finalizer to report.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TaskScheduler.UnobservedTaskException -= countUnobserved;
        Assert.True(wrong == 0 && unobserved == 0,
            $"seed {seed}, traced {traced}: {wrong} of {Cases} cases had the wrong outcome (first: {firstWrong}); {unobserved} listener exceptions were never observed");
        FaultFigures.Report(traced ? "publish.failures-win.traced" : "publish.failures-win", Cases, faults, lost: wrong, hung: 0, twice: 0);
    }
}
