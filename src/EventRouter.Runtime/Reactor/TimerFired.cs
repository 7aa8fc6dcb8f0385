using System;

namespace EventRouter.Reactor;

/// <summary>The event a loop timer created with <see cref="EventLoop.ScheduleEvent(string, TimeSpan, TimeSpan)"/> publishes each time it fires.</summary>
/// <param name="Name">The name given when the timer was scheduled.</param>
/// <param name="FireCount">How many times this timer has fired, this time included (1 for the first).</param>
/// <param name="Timer">The timer, so a listener can cancel it.</param>
public readonly record struct TimerFired(string Name, long FireCount, LoopTimer Timer);
