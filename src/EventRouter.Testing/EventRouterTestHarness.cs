using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Modules;

namespace EventRouter.Testing;

/// <summary>What a record describes.</summary>
public enum RecordKind
{
    /// <summary>An event was published (awaited publish).</summary>
    Published,

    /// <summary>An event was enqueued on a dispatch loop.</summary>
    Enqueued,

    /// <summary>A listener (or module handler) completed successfully.</summary>
    Handled,

    /// <summary>A listener (or module handler) threw or faulted.</summary>
    Failed,

    /// <summary>A failed delivery was scheduled for another attempt.</summary>
    Retried,

    /// <summary>A delivery exhausted its attempts and went to the dead-letter sink.</summary>
    DeadLettered,

    /// <summary>A module request was sent.</summary>
    ModuleRequest,

    /// <summary>A module command was sent.</summary>
    ModuleCommand,
}

/// <summary>One thing that happened, in the order it happened.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Name">The event name (or module message name).</param>
/// <param name="Payload">The event or message object, when the span carried it.</param>
/// <param name="Handler">The listener or module handler, for invocation records.</param>
/// <param name="Exception">The exception, for failures.</param>
/// <param name="Attempt">The attempt number (1 for the first), when known.</param>
public sealed record EventRouterRecord(RecordKind Kind, string Name, object? Payload, string? Handler, Exception? Exception, int Attempt);

/// <summary>
/// Records what EventRouter does during one test — through the same ActivitySource the observability features use,
/// not a parallel path — and waits for the system to go quiet instead of sleeping. Works with any test framework.
/// </summary>
/// <remarks>
/// Call <see cref="Start"/> inside the test method: it starts a root span that the test's code runs under, so
/// only this test's work is recorded even when tests run in parallel. Work handed to background loops carries the
/// trace along (the dispatch loop and module servers propagate the trace context).
/// </remarks>
public sealed class EventRouterTestHarness : IDisposable
{
    private static readonly ActivitySource HarnessSource = new("EventRouter.Testing");

    private readonly object _gate = new();
    private readonly List<EventRouterRecord> _records = new();
    private readonly HashSet<Activity> _inFlight = new();
    private readonly List<(string Name, Func<bool> IsIdle)> _probes = new();
    private readonly List<IDisposable> _stubs = new();
    private readonly ActivityListener _listener;
    private readonly Activity? _root;
    private readonly Activity? _previous;

    private EventRouterTestHarness()
    {
        _previous = Activity.Current;
        // Create the source before the listener is added: a source created during AddActivityListener is missed.
        var harnessSource = HarnessSource;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EventRouterDiagnostics.ActivitySourceName || source == harnessSource,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = OnStarted,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
        // Our own listener samples this source, so the root always starts.
        _root = harnessSource.StartActivity("EventRouter test", ActivityKind.Internal);
    }

    /// <summary>Starts recording; the calling code (and what it starts) runs inside the harness's trace from here on.</summary>
    public static EventRouterTestHarness Start() => new();

    /// <summary>The trace this harness records.</summary>
    public ActivityTraceId TraceId => _root!.TraceId;

    /// <summary>Everything recorded, in order.</summary>
    public IReadOnlyList<EventRouterRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return _records.ToArray();
            }
        }
    }

    /// <summary>Records of one kind, in order.</summary>
    public IReadOnlyList<EventRouterRecord> Of(RecordKind kind) => Records.Where(r => r.Kind == kind).ToList();

    /// <summary>The events of type <typeparamref name="TEvent"/> that were published or enqueued, in order.</summary>
    public IReadOnlyList<TEvent> Published<TEvent>() =>
        Records.Where(r => r.Kind is RecordKind.Published or RecordKind.Enqueued).Select(r => r.Payload).OfType<TEvent>().ToList();

    /// <summary>The names of the listeners that handled events of <paramref name="eventName"/> successfully, in order.</summary>
    public IReadOnlyList<string> HandledBy(string eventName) =>
        Records.Where(r => r.Kind == RecordKind.Handled && r.Name == eventName).Select(r => r.Handler!).ToList();

    /// <summary>
    /// Replaces listener <typeparamref name="TListener"/> with <paramref name="stub"/> for this test's trace only;
    /// the generated code is untouched. Dispose the result (or the harness) to remove it.
    /// </summary>
    public IDisposable StubListener<TListener>(Func<object, CancellationToken, ValueTask> stub)
    {
        ArgumentNullException.ThrowIfNull(stub);
        var handle = ListenerInterception.Install(typeof(TListener), TraceId, stub);
        lock (_gate)
        {
            _stubs.Add(handle);
        }
        return handle;
    }

    /// <summary>Typed form of <see cref="StubListener{TListener}(Func{object, CancellationToken, ValueTask})"/>.</summary>
    public IDisposable StubListener<TListener, TEvent>(Func<TEvent, CancellationToken, ValueTask> stub)
    {
        ArgumentNullException.ThrowIfNull(stub);
        return StubListener<TListener>((e, ct) => e is TEvent typed ? stub(typed, ct) : default);
    }

    /// <summary>Adds a condition that must hold for the system to count as quiet (e.g. a dispatch loop's queue is empty).</summary>
    public void AddQuietProbe(string name, Func<bool> isIdle)
    {
        ArgumentNullException.ThrowIfNull(isIdle);
        lock (_gate)
        {
            _probes.Add((name, isIdle));
        }
    }

    /// <summary>
    /// Counts <paramref name="server"/> as busy while it has queued messages or runs a handler, so
    /// <see cref="WaitForQuietAsync"/> also waits for commands that were sent but not yet handled.
    /// </summary>
    public void Track(ModuleServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        AddQuietProbe("module server " + server.Name, () => server.IsIdle);
    }

    /// <summary>Counts <paramref name="loop"/> as busy while it has queued or in-flight events (including retries waiting).</summary>
    public void Track(EventDispatchLoop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        // InFlight counts queued events too (accepted minus every outcome).
        AddQuietProbe("dispatch loop", () => loop.Counts.InFlight == 0);
    }

    /// <summary>
    /// Completes when nothing of this test is in flight (no open EventRouter span in its trace, every probe idle) and
    /// stays so for <paramref name="quietWindow"/>; fails after <paramref name="timeout"/> with a summary of what was
    /// still running. The window and timeout are real time: fake clocks only drive the work being waited for.
    /// </summary>
    public async Task WaitForQuietAsync(TimeSpan timeout, TimeSpan? quietWindow = null, CancellationToken cancellationToken = default)
    {
        var window = quietWindow ?? TimeSpan.FromMilliseconds(20);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long? quietSince = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var busy = Busy();
            var now = Stopwatch.GetTimestamp();
            if (busy.Count == 0)
            {
                quietSince ??= now;
                if (Stopwatch.GetElapsedTime(quietSince.Value, now) >= window)
                {
                    return;
                }
            }
            else
            {
                quietSince = null;
            }
            if (now > deadline)
            {
                throw new TimeoutException($"EventRouter did not go quiet within {timeout}. Still in flight:\n{string.Join("\n", busy)}\n\n{Summary()}");
            }
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Completes as soon as <paramref name="condition"/> holds for the records so far (checked on every new record);
    /// fails after <paramref name="timeout"/> with the records seen. Use it to step through work driven by a fake clock.
    /// </summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<EventRouterRecord>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition(Records))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"The expected EventRouter records did not appear within {timeout}.\n{Summary()}");
            }
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A readable account of everything recorded, for failure messages.</summary>
    public string Summary()
    {
        var text = new StringBuilder("Recorded:\n");
        foreach (var r in Records)
        {
            text.Append("  ").Append(r.Kind).Append(' ').Append(r.Name);
            if (r.Handler is not null) text.Append(" by ").Append(r.Handler);
            if (r.Attempt > 1) text.Append(" (attempt ").Append(r.Attempt).Append(')');
            if (r.Exception is not null) text.Append(": ").Append(r.Exception.GetType().Name).Append(": ").Append(r.Exception.Message);
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Stops recording, removes stubs and restores the previous current activity.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var stub in _stubs)
            {
                stub.Dispose();
            }
            _stubs.Clear();
        }
        _root?.Stop();
        Activity.Current = _previous;
        _listener.Dispose();
    }

    private List<string> Busy()
    {
        lock (_gate)
        {
            var busy = _inFlight.Select(a => "span: " + a.OperationName).ToList();
            busy.AddRange(_probes.Where(p => !p.IsIdle()).Select(p => "probe: " + p.Name));
            return busy;
        }
    }

    // Callbacks can arrive while the constructor is still starting the root (or from other harnesses' roots).
    private bool Mine(Activity activity) =>
        _root is { } root && activity.Source.Name == EventRouterDiagnostics.ActivitySourceName && activity.TraceId == root.TraceId;

    private void OnStarted(Activity activity)
    {
        if (!Mine(activity))
        {
            return;
        }
        var operation = activity.GetTagItem("messaging.operation.name") as string;
        var kind = operation switch
        {
            "publish" => RecordKind.Published,
            "enqueue" => RecordKind.Enqueued,
            "request" => RecordKind.ModuleRequest,
            "command" => RecordKind.ModuleCommand,
            _ => (RecordKind?)null,
        };
        lock (_gate)
        {
            _inFlight.Add(activity);
            if (kind is { } k)
            {
                _records.Add(new EventRouterRecord(k, Destination(activity), activity.GetCustomProperty("eventrouter.event"), null, null, 1));
            }
        }
    }

    private void OnStopped(Activity activity)
    {
        if (!Mine(activity))
        {
            return;
        }
        lock (_gate)
        {
            _inFlight.Remove(activity);
            if (activity.GetTagItem("messaging.operation.name") is "process")
            {
                var failed = activity.Status == ActivityStatusCode.Error;
                _records.Add(new EventRouterRecord(
                    failed ? RecordKind.Failed : RecordKind.Handled,
                    Destination(activity),
                    activity.GetCustomProperty("eventrouter.event"),
                    activity.GetTagItem("eventrouter.listener") as string,
                    activity.GetCustomProperty("eventrouter.exception") as Exception,
                    activity.GetTagItem("eventrouter.attempt") is int attempt ? attempt : 1));
            }
            var marker = activity.GetTagItem("messaging.operation.name") switch
            {
                "retry" => RecordKind.Retried,
                "dead_letter" => RecordKind.DeadLettered,
                _ => (RecordKind?)null,
            };
            if (marker is { } k)
            {
                _records.Add(new EventRouterRecord(k, Destination(activity), activity.GetCustomProperty("eventrouter.event"),
                    activity.GetTagItem("eventrouter.listener") as string, activity.GetCustomProperty("eventrouter.exception") as Exception,
                    activity.GetTagItem("eventrouter.attempt") is int attempt ? attempt : 1));
            }
        }
    }

    private static string Destination(Activity activity) =>
        activity.GetTagItem("messaging.destination.name") as string ?? activity.OperationName;
}
