using System;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace EventRouter.Reactor;

/// <summary>Settings of an <see cref="EventLoop"/> (and of every loop of an <see cref="EventLoopGroup"/>).</summary>
public sealed class EventLoopOptions
{
    /// <summary>The loop thread's name, used in logs and debuggers. Default: <c>event-loop</c>.</summary>
    public string Name { get; set; } = "event-loop";

    /// <summary>
    /// The clock timers are measured against. Default: <see cref="TimeProvider.System"/>. A test can pass a fake clock;
    /// blocked-loop detection and lag always use real time, because a blocked thread is a real-time fact.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// How long one work item or timer callback may run before the loop is reported as blocked (log warning,
    /// <see cref="EventLoop.BlockedCount"/>, <see cref="EventLoop.Blocked"/>). Default: 1 second.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns detection and lag sampling off.
    /// </summary>
    public TimeSpan BlockedThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Where timer events (<see cref="TimerFired"/>) and <see cref="EventLoop.Publish{TEvent}(TEvent)"/> events go:
    /// normally the generated dispatcher. Optional.
    /// </summary>
    public IEventPublisher? Publisher { get; set; }

    /// <summary>Where the loop logs blocked-loop warnings and exceptions thrown by work items. Optional.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// How many loops <c>services.AddEventLoopGroup()</c> creates; 0 (default) means <see cref="Environment.ProcessorCount"/>.
    /// A single <see cref="EventLoop"/> ignores it, and the <see cref="EventLoopGroup"/> constructor takes the count as its parameter.
    /// </summary>
    public int LoopCount { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("An event loop needs a name.", nameof(Name));
        }
        if (LoopCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LoopCount), LoopCount, "The loop count cannot be negative.");
        }
        if (BlockedThreshold <= TimeSpan.Zero && BlockedThreshold != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(BlockedThreshold), BlockedThreshold, "BlockedThreshold must be positive or Timeout.InfiniteTimeSpan.");
        }
    }
}
