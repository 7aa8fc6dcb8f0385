using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace EventRouter;

public abstract partial class EventDispatcherBase
{
    /// <summary>
    /// Runs one listener invocation inside a "process" span (current while the listener's synchronous part runs) and
    /// records its outcome and duration. Shared by publish and the dispatch loop; only called when telemetry is on.
    /// </summary>
    /// <param name="eventName">The event's name (span destination).</param>
    /// <param name="listener">The listener invoked.</param>
    /// <param name="parent">An explicit parent (the enqueue span for background deliveries); default: the current span.</param>
    /// <param name="attempt">The attempt number to tag, or 0 for none.</param>
    /// <param name="payload">The event, attached to the span, or null.</param>
    /// <param name="state">What <paramref name="invoke"/> needs, so the lambda can be static.</param>
    /// <param name="invoke">Starts the invocation.</param>
    internal static ValueTask RunInstrumented<TState>(
        string eventName, ListenerInfo listener, ActivityContext parent, int attempt, object? payload, TState state, Func<TState, ValueTask> invoke)
    {
        var previous = Activity.Current;
        var started = Stopwatch.GetTimestamp();
        var activity = Telemetry.StartActivity("process", eventName, ActivityKind.Consumer, parent, payload);
        if (attempt > 0)
        {
            activity?.SetTag("eventrouter.attempt", attempt);
        }
        try
        {
            return InstrumentAsync(eventName, listener.Name, invoke(state), started, activity);
        }
        catch (Exception ex)
        {
            return InstrumentAsync(eventName, listener.Name, ValueTask.FromException(ex), started, activity);
        }
        finally
        {
            // Starting the span made it current for the listener's synchronous part; the caller continues under its own.
            Activity.Current = previous;
        }
    }

    /// <summary>Awaits one invocation and records it. The span was started before the invocation so it parents the listener's own spans.</summary>
    internal static async ValueTask InstrumentAsync(string eventName, string listenerName, ValueTask invocation, long started, Activity? activity)
    {
        activity?.SetTag("eventrouter.listener", listenerName);
        var tags = new TagList
        {
            { "messaging.destination.name", eventName },
            { "eventrouter.listener", listenerName },
        };
        try
        {
            await invocation.ConfigureAwait(false);
            Telemetry.Handled.Add(1, tags);
        }
        catch (Exception ex)
        {
            Telemetry.Failed.Add(1, tags);
            Telemetry.RecordException(activity, ex);
            throw;
        }
        finally
        {
            Telemetry.ListenerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            activity?.Dispose();
        }
    }
}
