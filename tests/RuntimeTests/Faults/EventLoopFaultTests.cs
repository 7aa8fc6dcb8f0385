using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;

namespace EventRouter.Tests.Faults;

/// <summary>
/// Event loops with many posting threads, throwing work, cancelled invocations, timers cancelled while they come due,
/// and a shutdown racing all of it: every call either is refused at once (ObjectDisposedException) or has exactly one
/// outcome, nothing accepted is lost or run twice, and no caller hangs.
/// </summary>
public sealed class EventLoopFaultTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private enum Op
    {
        Post,
        PostThrowing,
        Invoke,
        InvokeThrowing,
        InvokeAsyncFunc,
        InvokeCancellable,
        Timer,
    }

    /// <summary>One call and what became of it.</summary>
    private sealed class Call(Op op)
    {
        public Op Op { get; } = op;
        public int Ran;
        public bool Refused;
        public bool CancelRequested;
        public volatile bool CancelWon;
        public Task? Task;
        public Task? Canceller;
    }

    [Fact]
    public async Task ManyPostersCancellationAndShutdownRacing_EveryAcceptedCallHasExactlyOneOutcome()
    {
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        const int Iterations = 40;
        const int Threads = 4;
        const int CallsPerThread = 150;
        long cases = 0, faults = 0, lost = 0, hung = 0, twice = 0;
        var failures = new List<string>();

        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var loop = new EventLoop(new EventLoopOptions { Name = $"fault-{iteration}", BlockedThreshold = Timeout.InfiniteTimeSpan });
            var plans = Enumerable.Range(0, Threads)
                .Select(_ => Enumerable.Range(0, CallsPerThread).Select(_ => ((Op)random.Next(7), random.Next(4), random.Next(100))).ToArray())
                .ToArray();
            var shutdownAfter = random.Next(1, CallsPerThread * Threads + 1);
            var issued = 0;
            var calls = new List<Call>[Threads];
            using var start = new Barrier(Threads + 1);
            var posters = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
            {
                var mine = calls[t] = new List<Call>(CallsPerThread);
                start.SignalAndWait();
                foreach (var (op, delayMs, chance) in plans[t])
                {
                    if (Interlocked.Increment(ref issued) == shutdownAfter)
                    {
                        loop.Shutdown();
                    }
                    var call = new Call(op);
                    mine.Add(call);
                    try
                    {
                        Issue(loop, call, delayMs, chance);
                    }
                    catch (ObjectDisposedException)
                    {
                        call.Refused = true;
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            start.SignalAndWait();
            await Task.WhenAll(posters).WaitAsync(HangGuard);
            if (!await Completes(loop.DisposeAsync().AsTask()))
            {
                hung++;
                failures.Add($"iteration {iteration}: DisposeAsync did not complete");
                continue;
            }

            foreach (var call in calls.SelectMany(c => c))
            {
                cases++;
                faults += call.Op is Op.PostThrowing or Op.InvokeThrowing || call.CancelRequested ? 1 : 0;
                if (call.Refused)
                {
                    if (Volatile.Read(ref call.Ran) != 0)
                    {
                        twice++;
                        failures.Add($"iteration {iteration}: a refused {call.Op} ran");
                    }
                    continue;
                }
                if ((call.Task is { } task && !await Completes(task)) || (call.Canceller is { } canceller && !await Completes(canceller)))
                {
                    hung++;
                    failures.Add($"iteration {iteration}: {call.Op} never completed");
                    continue;
                }
                var ran = Volatile.Read(ref call.Ran);
                switch (call.Op)
                {
                    case Op.Timer:
                        // A timer fires at most once, and a successful Cancel means it never fires. A timer neither
                        // fired nor cancelled was dropped by the shutdown, as documented.
                        if (ran > 1 || (call.CancelWon && ran != 0))
                        {
                            twice++;
                            failures.Add($"iteration {iteration}: timer ran {ran} times, cancel won: {call.CancelWon}");
                        }
                        break;
                    case Op.InvokeCancellable:
                        if (call.Task!.IsCanceled ? ran != 0 : ran != 1 || !call.Task.IsCompletedSuccessfully)
                        {
                            if (ran > 1) twice++; else lost++;
                            failures.Add($"iteration {iteration}: cancellable invoke {call.Task.Status} ran {ran} times");
                        }
                        break;
                    default:
                        // Accepted work runs exactly once: on the loop, or on the thread pool if the loop had exited.
                        if (ran != 1)
                        {
                            if (ran > 1) twice++; else lost++;
                            failures.Add($"iteration {iteration}: accepted {call.Op} ran {ran} times");
                        }
                        else if (call.Task is { } done && (call.Op is Op.InvokeThrowing ? !done.IsFaulted : !done.IsCompletedSuccessfully))
                        {
                            lost++;
                            failures.Add($"iteration {iteration}: {call.Op} ended {done.Status}");
                        }
                        break;
                }
            }
        }

        FaultFigures.Report("event-loop", cases, faults, lost, hung, twice);
        Assert.True(failures.Count == 0,
            $"seed {seed} (FAULT_SEED={seed} replays it): lost {lost}, hung {hung}, twice {twice}\n" + string.Join("\n", failures.Take(20)));
        Assert.Equal(Iterations * Threads * CallsPerThread, cases);
    }

    private static void Issue(EventLoop loop, Call call, int delayMs, int chance)
    {
        switch (call.Op)
        {
            case Op.Post:
                loop.Post(static s => Interlocked.Increment(ref ((Call)s!).Ran), call);
                break;
            case Op.PostThrowing:
                // The loop logs a throwing item and keeps running.
                loop.Post(static s =>
                {
                    Interlocked.Increment(ref ((Call)s!).Ran);
                    throw new InvalidOperationException("work item fault");
                }, call);
                break;
            case Op.Invoke:
                call.Task = loop.InvokeAsync(() => { Interlocked.Increment(ref call.Ran); });
                break;
            case Op.InvokeThrowing:
                call.Task = loop.InvokeAsync(() =>
                {
                    Interlocked.Increment(ref call.Ran);
                    throw new InvalidOperationException("invoke fault");
                });
                break;
            case Op.InvokeAsyncFunc:
                call.Task = loop.InvokeAsync(async () =>
                {
                    await Task.Yield();
                    Interlocked.Increment(ref call.Ran);
                });
                break;
            case Op.InvokeCancellable:
            {
                var cancel = new CancellationTokenSource();
                call.Task = loop.InvokeAsync(() => { Interlocked.Increment(ref call.Ran); }, cancel.Token);
                if (chance < 60)
                {
                    call.CancelRequested = true;
                    if (delayMs == 0)
                    {
                        cancel.Cancel();
                    }
                    else
                    {
                        cancel.CancelAfter(delayMs);
                    }
                }
                break;
            }
            case Op.Timer:
            {
                var timer = loop.Schedule(TimeSpan.FromMilliseconds(delayMs), static s => Interlocked.Increment(ref ((Call)s!).Ran), call);
                if (chance < 50)
                {
                    call.CancelRequested = true;
                    if (chance < 25)
                    {
                        call.CancelWon = timer.Cancel();
                    }
                    else
                    {
                        // Cancelled from another thread around the time it comes due.
                        call.Canceller = Task.Run(async () =>
                        {
                            await Task.Delay(delayMs);
                            call.CancelWon = timer.Cancel();
                        });
                    }
                }
                break;
            }
        }
    }

    private static async Task<bool> Completes(Task task)
    {
        try
        {
            await task.WaitAsync(HangGuard);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch
        {
            // Faulted or cancelled: an outcome, checked by the caller.
        }
        return true;
    }
}
