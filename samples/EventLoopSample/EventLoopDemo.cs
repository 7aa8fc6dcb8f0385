using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Generated;
using EventRouter.Reactor;

namespace EventLoopSample;

/// <summary>A message posted to the loop. (Timer events are the loop's own <see cref="TimerFired"/>.)</summary>
public sealed record Message(string Text);

/// <summary>
/// An event loop: one loop thread, Message events posted from anywhere, Timer events from loop timers, both delivered
/// to [EventListener] classes through the generated dispatch table. A loop timer waits without blocking the loop: a
/// listener that slept inside a timer event would block every other event of the loop.
/// </summary>
public static class EventLoopDemo
{
    public static async Task<int> RunAsync(TextWriter output)
    {
        var log = new Log(output);
        var dispatcher = new EventDispatcher(new EventRouterOptions { ListenerFactory = type => Activator.CreateInstance(type, log)! });
        await using var loop = new EventLoop(new EventLoopOptions { Name = "event-loop", Publisher = dispatcher });

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.Done = done;

        // A periodic timer and a message: the timer does not block the message.
        loop.ScheduleEvent("tick", TimeSpan.FromMilliseconds(100), period: TimeSpan.FromMilliseconds(100));
        loop.Publish(new Message("Hello, World!"));
        await Task.Run(() => loop.Publish(new Message("posted from another thread"))).ConfigureAwait(false);

        await done.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return 0;
    }
}

/// <summary>Shared output for the listeners; only touched on the loop thread, so no lock.</summary>
public sealed class Log(TextWriter output)
{
    public TextWriter Output { get; } = output;

    public TaskCompletionSource? Done { get; set; }
}

[EventListener]
public sealed class MessagePrinter(Log log) : IEventListener<Message>
{
    public ValueTask HandleAsync(Message @event, CancellationToken cancellationToken)
    {
        log.Output.WriteLine($"Message event: {@event.Text} (thread {Thread.CurrentThread.Name})");
        return default;
    }
}

[EventListener]
public sealed class TimerPrinter(Log log) : IEventListener<TimerFired>
{
    public ValueTask HandleAsync(TimerFired @event, CancellationToken cancellationToken)
    {
        log.Output.WriteLine($"Timer event: '{@event.Name}' fired {@event.FireCount} time(s) (thread {Thread.CurrentThread.Name})");
        if (@event.FireCount == 3)
        {
            @event.Timer.Cancel();
            log.Done?.TrySetResult();
        }
        return default;
    }
}
