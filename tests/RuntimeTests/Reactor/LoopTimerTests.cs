using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.Reactor;

namespace EventRouter.Tests.Reactor;

public sealed class LoopTimerTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _clock = new();
    private readonly RecordingPublisher _publisher = new();
    private readonly EventLoop _loop;

    public LoopTimerTests()
    {
        _loop = new EventLoop(new EventLoopOptions { TimeProvider = _clock, Publisher = _publisher });
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    /// <summary>
    /// Advances the fake clock, then waits for a zero-delay timer armed after the advance: timers fire in due order,
    /// so when it runs every timer due by the new time has already run.
    /// </summary>
    private async Task AdvanceAsync(TimeSpan by)
    {
        _clock.Advance(by);
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Schedule(TimeSpan.Zero, static s => ((TaskCompletionSource)s!).SetResult(), barrier);
        await barrier.Task.WaitAsync(Net.Timeout);
    }

    [Fact]
    public async Task Schedule_OneShot_FiresOnceWhenDueAndNotBefore()
    {
        var fired = new List<bool>();
        var timer = _loop.Schedule(TimeSpan.FromSeconds(10), _ => fired.Add(_loop.IsInLoop), null);

        await AdvanceAsync(TimeSpan.FromSeconds(9.999));
        Assert.Empty(fired);
        Assert.True(timer.IsActive);

        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new[] { true }, fired);

        await AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Single(fired);
        Assert.False(timer.IsActive);
        Assert.Equal(1, timer.FireCount);
    }

    [Fact]
    public async Task Schedule_Periodic_FiresOncePerElapsedPeriod()
    {
        var count = 0;
        var timer = _loop.Schedule(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), _ => count++, null);

        await AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(1, count);
        await AdvanceAsync(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, count);
        await AdvanceAsync(TimeSpan.FromSeconds(0.5));
        Assert.Equal(2, count);
        // A late loop catches up: three periods elapsed at once fire three times.
        await AdvanceAsync(TimeSpan.FromSeconds(6));
        Assert.Equal(5, count);
        Assert.True(timer.IsActive);

        Assert.True(timer.Cancel());
        await AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(5, count);
    }

    [Fact]
    public async Task Cancel_BeforeDue_NeverFiresAndReportsOnce()
    {
        var fired = false;
        var timer = _loop.Schedule(TimeSpan.FromSeconds(1), _ => fired = true, null);

        Assert.True(timer.Cancel());
        Assert.False(timer.Cancel());
        await AdvanceAsync(TimeSpan.FromSeconds(2));

        Assert.False(fired);
        Assert.False(timer.IsActive);
    }

    [Fact]
    public async Task Cancel_AfterOneShotFired_ReturnsFalse()
    {
        var timer = _loop.Schedule(TimeSpan.FromSeconds(1), _ => { }, null);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.False(timer.Cancel());
    }

    [Fact]
    public async Task Cancel_InsideOwnCallback_StopsPeriodicTimer()
    {
        var count = 0;
        LoopTimer? timer = null;
        timer = await _loop.InvokeAsync(() => _loop.Schedule(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), _ =>
        {
            if (++count == 2)
            {
                timer!.Cancel();
            }
        }, null));

        await AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task Schedule_ManyTimers_FireInDueOrderThenArmingOrder()
    {
        var order = new List<int>();
        var random = new Random(1234);
        var dues = Enumerable.Range(0, 2000).Select(_ => random.Next(0, 500)).ToArray();
        await _loop.InvokeAsync(() =>
        {
            for (var i = 0; i < dues.Length; i++)
            {
                _loop.Schedule(TimeSpan.FromMilliseconds(dues[i]), s => order.Add((int)s!), i);
            }
        });

        await AdvanceAsync(TimeSpan.FromSeconds(1));

        var expected = Enumerable.Range(0, dues.Length).OrderBy(i => dues[i]).ThenBy(i => i).ToArray();
        Assert.Equal(expected, order);
    }

    [Fact]
    public async Task Cancel_HundredThousandTimers_NoneFireAndHeapIsCompacted()
    {
        var fired = 0;
        var survivorFired = false;
        await _loop.InvokeAsync(() =>
        {
            var timers = new LoopTimer[100_000];
            for (var i = 0; i < timers.Length; i++)
            {
                timers[i] = _loop.Schedule(TimeSpan.FromMilliseconds(1 + (i % 1000)), _ => fired++, null);
            }
            foreach (var t in timers)
            {
                t.Cancel();
            }
            _loop.Schedule(TimeSpan.FromSeconds(2), _ => survivorFired = true, null);
        });

        await AdvanceAsync(TimeSpan.FromSeconds(1));
        var remaining = await _loop.InvokeAsync(() => _loop.TimerCount);
        await AdvanceAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(0, fired);
        Assert.True(survivorFired);
        Assert.True(remaining < 1000, $"{remaining} timers still queued after mass cancellation");
    }

    [Fact]
    public async Task Schedule_FromOtherThread_ArmsOnLoop()
    {
        var onLoop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await Task.Run(() => _loop.Schedule(TimeSpan.FromSeconds(3), _ => onLoop.SetResult(_loop.IsInLoop), null));
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.True(await onLoop.Task.WaitAsync(Net.Timeout));
    }

    [Fact]
    public async Task ScheduleEvent_Periodic_PublishesTimerFiredWithCount()
    {
        var timer = _loop.ScheduleEvent("tick", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        timer.Cancel();
        await AdvanceAsync(TimeSpan.FromSeconds(3));

        var events = _publisher.Events.OfType<TimerFired>().ToArray();
        Assert.Equal(new long[] { 1, 2, 3 }, events.Select(e => e.FireCount));
        Assert.All(events, e => Assert.Equal("tick", e.Name));
        Assert.All(events, e => Assert.Same(timer, e.Timer));
    }

    [Fact]
    public async Task ScheduleEvent_OneShot_PublishesOnce()
    {
        _loop.ScheduleEvent("once", TimeSpan.FromSeconds(1));
        await AdvanceAsync(TimeSpan.FromSeconds(5));
        var fired = Assert.Single(_publisher.Events.OfType<TimerFired>());
        Assert.Equal("once", fired.Name);
    }

    [Fact]
    public void Schedule_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _loop.Schedule(TimeSpan.FromSeconds(-1), _ => { }, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => _loop.Schedule(TimeSpan.Zero, TimeSpan.Zero, _ => { }, null));
    }

    [Fact]
    public async Task Schedule_RealClock_FiresWithoutAnyPosts()
    {
        // With the system clock the parked loop must wake for the timer by itself.
        await using var loop = new EventLoop();
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Schedule(TimeSpan.FromMilliseconds(20), _ => fired.SetResult(), null);
        await fired.Task.WaitAsync(Net.Timeout);
    }
}
