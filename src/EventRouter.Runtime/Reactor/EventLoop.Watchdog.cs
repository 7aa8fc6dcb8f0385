using System;
using System.Diagnostics;
using System.Threading;

namespace EventRouter.Reactor;

public sealed partial class EventLoop
{
    private void Watch()
    {
        // Timer callbacks can overlap when the pool is slow; the watch state is single-threaded by design.
        if (Interlocked.Exchange(ref _watching, 1) != 0)
        {
            return;
        }
        try
        {
            WatchCore();
        }
        finally
        {
            Volatile.Write(ref _watching, 0);
        }
    }

    private void WatchCore()
    {
        var now = Stopwatch.GetTimestamp();
        if (Volatile.Read(ref _busy) == 0)
        {
            _watchProgress = -1;
        }
        else
        {
            var progress = Volatile.Read(ref _progress);
            if (progress != _watchProgress)
            {
                _watchProgress = progress;
                _watchSince = now;
                _watchReported = false;
            }
            else if (!_watchReported && now - _watchSince >= _blockedThresholdTicks)
            {
                _watchReported = true;
                ReportBlocked(TimeSpan.FromSeconds((double)(now - _watchSince) / Stopwatch.Frequency));
            }
        }

        // Lag probe: one in flight at a time, so a blocked loop does not pile probes up.
        if (Interlocked.CompareExchange(ref _probePending, 1, 0) == 0)
        {
            Volatile.Write(ref _probePostedAt, now);
            if (!TryPost(static s => ((EventLoop)s!).OnProbe(), this))
            {
                Volatile.Write(ref _probePending, 0);
            }
        }
    }

    private void OnProbe()
    {
        var lag = Stopwatch.GetTimestamp() - Volatile.Read(ref _probePostedAt);
        Interlocked.Exchange(ref _lagTicks, lag);
        ReactorMetrics.LoopLag.Record((double)lag / Stopwatch.Frequency);
        Volatile.Write(ref _probePending, 0);
    }

    private void ReportBlocked(TimeSpan blockedFor)
    {
        Interlocked.Increment(ref _blockedCount);
        ReactorMetrics.LoopBlocked.Add(1);
        ReactorLog.LoopBlocked(_logger, Name, blockedFor.TotalMilliseconds, BlockedThreshold.TotalMilliseconds);
        try
        {
            Blocked?.Invoke(this, new EventLoopBlockedEventArgs(this, blockedFor));
        }
        catch (Exception ex)
        {
            // A faulty subscriber must not kill the watchdog's thread-pool thread.
            ReactorLog.WorkItemFailed(_logger, Name, ex);
        }
    }
}
