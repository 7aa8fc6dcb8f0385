using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.Reactor;

public sealed class EventLoopTests
{
    [Fact]
    public async Task Post_FromManyThreads_KeepsEachPostersOrderAndRunsEverything()
    {
        await using var loop = new EventLoop();
        const int Posters = 4;
        const int PerPoster = 20_000;
        var seen = new List<(int Poster, int Seq)>(Posters * PerPoster); // loop-owned: no lock
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = Posters * PerPoster;

        var threads = Enumerable.Range(0, Posters).Select(p => new Thread(() =>
        {
            for (var i = 0; i < PerPoster; i++)
            {
                var item = (p, i);
                loop.Post(() =>
                {
                    seen.Add(item);
                    if (--remaining == 0)
                    {
                        done.SetResult();
                    }
                });
            }
        })).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }
        await done.Task.WaitAsync(Net.Timeout);

        Assert.Equal(Posters * PerPoster, seen.Count);
        for (var p = 0; p < Posters; p++)
        {
            var sequence = seen.Where(s => s.Poster == p).Select(s => s.Seq).ToArray();
            Assert.Equal(Enumerable.Range(0, PerPoster), sequence);
        }
    }

    [Fact]
    public async Task InvokeAsync_AwaitInsideWork_ResumesOnLoopThread()
    {
        await using var loop = new EventLoop();
        var threadIds = new List<int>();
        var sawLoop = new List<bool>();

        await loop.InvokeAsync(async () =>
        {
            threadIds.Add(Environment.CurrentManagedThreadId);
            sawLoop.Add(loop.IsInLoop);
            await Task.Delay(20); // completes on a timer thread
            threadIds.Add(Environment.CurrentManagedThreadId);
            sawLoop.Add(loop.IsInLoop);
            await Task.Run(() => { }); // completes on a pool thread
            threadIds.Add(Environment.CurrentManagedThreadId);
            sawLoop.Add(loop.IsInLoop);
            await Task.Yield();
            sawLoop.Add(loop.IsInLoop);
        }).WaitAsync(Net.Timeout);

        Assert.All(sawLoop, Assert.True);
        Assert.Single(threadIds.Distinct());
        Assert.False(loop.IsInLoop);
    }

    [Fact]
    public async Task InvokeAsync_Function_ReturnsResultComputedOnLoop()
    {
        await using var loop = new EventLoop();
        var onLoop = await loop.InvokeAsync(() => loop.IsInLoop).WaitAsync(Net.Timeout);
        Assert.True(onLoop);
    }

    [Fact]
    public async Task SynchronizationContext_SendFromOtherThread_RunsOnLoopBeforeReturning()
    {
        await using var loop = new EventLoop();
        var context = await loop.InvokeAsync(() => SynchronizationContext.Current);
        Assert.NotNull(context);
        var ranOnLoop = false;

        await Task.Run(() => context!.Send(_ => ranOnLoop = loop.IsInLoop, null));
        Assert.True(ranOnLoop);

        var inlineOnLoop = await loop.InvokeAsync(() =>
        {
            var inline = false;
            SynchronizationContext.Current!.Send(_ => inline = true, null); // on the loop: runs inline, no deadlock
            return inline;
        });
        Assert.True(inlineOnLoop);
    }

    [Fact]
    public async Task Post_WorkItemThrows_LoopLogsAndKeepsRunning()
    {
        var logs = new LogCapture();
        await using var loop = new EventLoop(new EventLoopOptions { LoggerFactory = logs });
        loop.Post(() => throw new InvalidOperationException("boom"));
        var after = await loop.InvokeAsync(() => 42).WaitAsync(Net.Timeout);

        Assert.Equal(42, after);
        Assert.Contains(logs.Entries, e => e.Id.Id == 5002 && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task Post_AfterDispose_ThrowsObjectDisposed()
    {
        var loop = new EventLoop();
        await loop.DisposeAsync();
        Assert.True(loop.Completion.IsCompleted);
        Assert.Throws<ObjectDisposedException>(() => loop.Post(() => { }));
    }

    [Fact]
    public async Task Dispose_WithQueuedWork_RunsQueuedWorkFirst()
    {
        var loop = new EventLoop();
        var ran = 0;
        var gate = new ManualResetEventSlim();
        loop.Post(() => gate.Wait());
        for (var i = 0; i < 100; i++)
        {
            loop.Post(() => ran++);
        }
        loop.Shutdown();
        gate.Set();
        await loop.Completion.WaitAsync(Net.Timeout);
        Assert.Equal(100, ran);
    }

    [Fact]
    public async Task Blocked_WorkItemRunsPastThreshold_ReportedByEventCounterAndLog()
    {
        var logs = new LogCapture();
        await using var loop = new EventLoop(new EventLoopOptions
        {
            BlockedThreshold = TimeSpan.FromMilliseconds(50),
            LoggerFactory = logs,
        });
        var detected = new TaskCompletionSource<EventLoopBlockedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new ManualResetEventSlim();
        loop.Blocked += (_, e) =>
        {
            detected.TrySetResult(e);
            release.Set(); // the loop stays blocked until the detection happened: no timing assumption
        };

        loop.Post(() => release.Wait());
        var args = await detected.Task.WaitAsync(Net.Timeout);
        await loop.InvokeAsync(() => { }).WaitAsync(Net.Timeout);

        Assert.Same(loop, args.Loop);
        Assert.True(args.BlockedFor >= TimeSpan.FromMilliseconds(50));
        // At least our block; a heavily loaded machine may also deschedule the loop mid-item and report that.
        Assert.True(loop.BlockedCount >= 1);
        Assert.Contains(logs.Entries, e => e.Id.Id == 5001 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Lag_LoopWasBlocked_MeasuredAsPositive()
    {
        await using var loop = new EventLoop(new EventLoopOptions { BlockedThreshold = TimeSpan.FromMilliseconds(40) });
        var release = new ManualResetEventSlim();
        loop.Blocked += (_, _) => release.Set();
        loop.Post(() => release.Wait());
        // A probe posted while the loop was blocked waits at least until the release, so lag becomes visible.
        await Eventually.WaitUntilAsync(() => loop.Lag > TimeSpan.Zero);
        Assert.True(loop.Lag > TimeSpan.Zero);
    }

    [Fact]
    public async Task Group_Next_RoundRobinsOverDistinctLoops()
    {
        await using var group = new EventLoopGroup(3);
        var picks = Enumerable.Range(0, 6).Select(_ => group.Next()).ToArray();

        Assert.Equal(3, group.Count);
        Assert.Equal(3, picks.Distinct().Count());
        Assert.Same(picks[0], picks[3]);
        Assert.Same(picks[1], picks[4]);
        var threadIds = await Task.WhenAll(group.Loops.Select(l => l.InvokeAsync(() => Environment.CurrentManagedThreadId)));
        Assert.Equal(3, threadIds.Distinct().Count());
    }

    [Fact]
    public async Task Group_DefaultCount_IsProcessorCount()
    {
        await using var group = new EventLoopGroup();
        Assert.Equal(Environment.ProcessorCount, group.Count);
    }

    [Fact]
    public async Task Publish_Event_DeliveredOnLoopThroughPublisher()
    {
        var publisher = new RecordingPublisher();
        var onLoop = new ConcurrentQueue<bool>();
        await using var loop = new EventLoop(new EventLoopOptions { Publisher = publisher });
        publisher.OnEvent = _ => onLoop.Enqueue(loop.IsInLoop);

        loop.Publish("hello");
        loop.Publish(7);
        await loop.InvokeAsync(() => { }).WaitAsync(Net.Timeout);

        Assert.Equal(new object[] { "hello", 7 }, publisher.Events.ToArray());
        Assert.All(onLoop, Assert.True);
    }

    [Fact]
    public async Task Publish_WithoutPublisher_Throws()
    {
        await using var loop = new EventLoop();
        Assert.Throws<InvalidOperationException>(() => loop.Publish("x"));
    }
}
