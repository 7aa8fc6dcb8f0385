// The scheduled events sample: events accepted now and delivered later by the dispatch loop. A reminder is
// cancelled because the order was paid; the others arrive in due order; a stop returns the one not yet due, with its
// due time, so it can be scheduled again after a restart.
using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Generated;

var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { MaxParallelism = 1 });
loop.Start();
var start = DateTimeOffset.UtcNow;

Console.WriteLine("== 1. Schedule three reminders and a report; the order o-1 is paid, so its reminder is cancelled ==");
var first = await loop.EnqueueAsync(new PaymentReminder("o-1"), TimeSpan.FromMilliseconds(300));
await loop.EnqueueAsync(new PaymentReminder("o-2"), TimeSpan.FromMilliseconds(200));
await loop.EnqueueAsync(new PaymentReminder("o-3"), TimeSpan.FromMilliseconds(100));
await loop.EnqueueAsync(new MonthlyReport("2027-01"), start + TimeSpan.FromHours(1));
Console.WriteLine($"  scheduled: {loop.ScheduledCount}; cancel o-1: {first.Cancel()}; scheduled now: {loop.ScheduledCount}");

Console.WriteLine("== 2. The reminders that are due arrive in due order ==");
await Reminders.Delivered.Task.WaitAsync(TimeSpan.FromSeconds(30));
Console.WriteLine($"  delivered: {string.Join(", ", Reminders.Log)}");

Console.WriteLine("== 3. Stop: the report is not due yet and comes back with its due time ==");
foreach (var undelivered in await loop.StopAsync(TimeSpan.FromSeconds(5)))
{
    Console.WriteLine($"  {undelivered.EventName} due {(undelivered.DueAt - start)?.TotalHours:0} h after start");
}
var counts = loop.Counts;
Console.WriteLine($"  accepted {counts.Accepted} (scheduled {counts.Scheduled}) = handled {counts.Handled} + canceled {counts.Canceled} + returned {counts.ReturnedUndelivered}");
Console.WriteLine("done");

public sealed record PaymentReminder(string OrderId);

public sealed record MonthlyReport(string Month);

[EventListener]
public sealed class Reminders : IEventListener<PaymentReminder>
{
    public static readonly System.Collections.Concurrent.ConcurrentQueue<string> Log = new();

    public static readonly TaskCompletionSource Delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask HandleAsync(PaymentReminder reminder, CancellationToken cancellationToken)
    {
        Log.Enqueue(reminder.OrderId);
        if (Log.Count == 2)
        {
            Delivered.TrySetResult();
        }
        return default;
    }
}

[EventListener]
public sealed class Reports : IEventListener<MonthlyReport>
{
    public ValueTask HandleAsync(MonthlyReport report, CancellationToken cancellationToken) => default;
}
