using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace EventRouter;

/// <summary>
/// The one ActivitySource and Meter of the runtime and their instruments. Every part records through here, so
/// tracing, metrics and the testing harness see the same events. Tag names follow the OpenTelemetry messaging
/// semantic conventions where they apply.
/// </summary>
internal static class Telemetry
{
    public const string System = "eventrouter";

    /// <summary>Custom property of publish/enqueue spans holding the event object (read by EventRouter.Testing).</summary>
    public const string EventProperty = "eventrouter.event";

    /// <summary>Custom property of failed spans holding the exception object.</summary>
    public const string ExceptionProperty = "eventrouter.exception";

    // The first publish initialises this class (PublishEnabled reads the source and the publish instruments), so it
    // holds only what that check needs, and the version is a build-time constant: Assembly.GetName() at start-up
    // costs a Native AOT app about as much as the rest of its start. Instruments of the other parts are created on
    // their first use (the nested classes below).
    public static readonly ActivitySource Source = new(EventRouterDiagnostics.ActivitySourceName, RuntimeVersion.Value);
    public static readonly Meter Meter = new(EventRouterDiagnostics.MeterName, RuntimeVersion.Value);

    public static readonly Counter<long> Published = Meter.CreateCounter<long>(
        "eventrouter.events.published", "{event}", "Events published (awaited) or enqueued (dispatch loop).");
    public static readonly Counter<long> Handled = Meter.CreateCounter<long>(
        "eventrouter.listener.handled", "{invocation}", "Listener invocations that completed successfully.");
    public static readonly Counter<long> Failed = Meter.CreateCounter<long>(
        "eventrouter.listener.failed", "{invocation}", "Listener invocations that threw or faulted.");
    public static readonly Histogram<double> ListenerDuration = Meter.CreateHistogram<double>(
        "eventrouter.listener.duration", "s", "Time a listener invocation took.");

    public static Counter<long> Retried => Delivery.Retried;
    public static Counter<long> DeadLettered => Delivery.DeadLettered;
    public static Counter<long> Dropped => Delivery.Dropped;
    public static Histogram<double> ModuleRequestDuration => Modules.RequestDuration;
    public static Histogram<double> ModuleStreamDuration => Modules.StreamDuration;
    public static InstanceGauge DispatchLoopQueueDepth => Gauges.DispatchLoopQueueDepth;
    public static InstanceGauge DispatchLoopInFlight => Gauges.DispatchLoopInFlight;
    public static InstanceGauge ModuleQueueDepth => Gauges.ModuleQueueDepth;
    public static InstanceGauge EventLoopLag => Gauges.EventLoopLag;

    /// <summary>
    /// True when anything listens. The dispatch loop and module servers read this once per message and take their
    /// instrumented paths only then, so nothing is allocated or timed when nobody listens.
    /// </summary>
    public static bool IsEnabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => PublishEnabled || ModuleRequestDuration.Enabled;
    }

    /// <summary>
    /// True when something listens to what awaited publish records: spans (which also carry the test harness's
    /// listener stubs), the published counter or the listener instruments. Read once per publish by the generated
    /// fast path, so it is exact rather than cached — System.Diagnostics tells nobody when a listener attaches — and
    /// it leaves out instruments publish never records (a module-histogram-only listener keeps publish on the fast path).
    /// </summary>
    public static bool PublishEnabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Source.HasListeners() || Published.Enabled || Handled.Enabled || Failed.Enabled || ListenerDuration.Enabled;
    }

    /// <summary>
    /// The OpenTelemetry messaging operation type of each operation name the runtime records: <c>send</c> for what
    /// hands a message over (publish, enqueue, request, stream, command), <c>process</c> for a listener or module running it,
    /// <c>settle</c> for what decides a delivery's fate (retry, dead letter).
    /// </summary>
    public static string OperationType(string operation) => operation switch
    {
        "process" => "process",
        "retry" or "dead_letter" => "settle",
        _ => "send",
    };

    /// <summary>Sets the messaging attributes every EventRouter span carries.</summary>
    private static void SetMessagingTags(Activity activity, string operation, string destination)
    {
        activity.SetTag("messaging.system", System);
        activity.SetTag("messaging.operation.type", OperationType(operation));
        activity.SetTag("messaging.operation.name", operation);
        activity.SetTag("messaging.destination.name", destination);
    }

    /// <summary>
    /// Starts a span with the messaging attributes, named <c>{operation} {destination}</c> as the OpenTelemetry
    /// messaging conventions name spans; null when no listener samples it.
    /// </summary>
    /// <param name="operation">The messaging operation name: publish, enqueue, process, request, stream, command.</param>
    /// <param name="destination">The event or message name.</param>
    /// <param name="kind">The span kind.</param>
    /// <param name="parent">An explicit parent (for work resumed on another thread); default: the current activity.</param>
    /// <param name="payload">The event or message, attached before the span starts so listeners see it at start.</param>
    public static Activity? StartActivity(string operation, string destination, ActivityKind kind, ActivityContext parent = default, object? payload = null)
    {
        var activity = Source.CreateActivity(operation + " " + destination, kind, parent);
        if (activity is null)
        {
            return null;
        }
        if (activity.IsAllDataRequested)
        {
            SetMessagingTags(activity, operation, destination);
        }
        if (payload is not null)
        {
            activity.SetCustomProperty(EventProperty, payload);
        }
        return activity.Start();
    }

    /// <summary>
    /// Records a point-in-time decision (a retry scheduled, a dead letter) as a zero-length span under the delivery's
    /// trace, so traces and the test harness see it in order.
    /// </summary>
    public static void Mark(string operation, string destination, ActivityContext parent, object? payload, string listener, int attempt, Exception? exception)
    {
        var activity = Source.CreateActivity(operation + " " + destination, ActivityKind.Internal, parent);
        if (activity is null)
        {
            return;
        }
        SetMessagingTags(activity, operation, destination);
        activity.SetTag("eventrouter.listener", listener);
        activity.SetTag("eventrouter.attempt", attempt);
        if (payload is not null)
        {
            activity.SetCustomProperty(EventProperty, payload);
        }
        if (exception is not null)
        {
            activity.SetCustomProperty(ExceptionProperty, exception);
            activity.SetTag("exception.type", exception.GetType().FullName);
            activity.SetTag("exception.message", exception.Message);
        }
        activity.Start();
        activity.Stop();
    }

    /// <summary>Marks a span failed, with the exception event OpenTelemetry exporters understand.</summary>
    public static void RecordException(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetCustomProperty(ExceptionProperty, exception);
        activity.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection
        {
            ["exception.type"] = exception.GetType().FullName,
            ["exception.message"] = exception.Message,
            ["exception.stacktrace"] = exception.ToString(),
        }));
    }

    /// <summary>The dispatch loop's instruments, created when a loop first records.</summary>
    private static class Delivery
    {
        public static readonly Counter<long> Retried = Meter.CreateCounter<long>(
            "eventrouter.listener.retried", "{invocation}", "Listener invocations scheduled for another attempt.");
        public static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>(
            "eventrouter.events.dead_lettered", "{delivery}", "Deliveries that exhausted their attempts and went to the dead-letter sink.");
        public static readonly Counter<long> Dropped = Meter.CreateCounter<long>(
            "eventrouter.events.dropped", "{event}", "Events dropped by a full dispatch-loop queue configured to drop.");
    }

    /// <summary>The module servers' instruments, created when a module first records (or a loop reads <see cref="IsEnabled"/>).</summary>
    private static class Modules
    {
        public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>(
            "eventrouter.module.request.duration", "s", "Time from sending a module request to its response.");
        public static readonly Histogram<double> StreamDuration = Meter.CreateHistogram<double>(
            "eventrouter.module.stream.duration", "s", "Time from a module stream's first read to its end.");
    }

    /// <summary>The per-instance gauges, created when the first loop or module server registers.</summary>
    private static class Gauges
    {
        public static readonly InstanceGauge DispatchLoopQueueDepth = new(
            "eventrouter.dispatch_loop.queue_depth", "{event}", "Events waiting in a dispatch loop's queues.");
        public static readonly InstanceGauge DispatchLoopInFlight = new(
            "eventrouter.dispatch_loop.in_flight", "{event}", "Events a dispatch loop has taken but not finished (including retries).");
        public static readonly InstanceGauge ModuleQueueDepth = new(
            "eventrouter.module.queue_depth", "{message}", "Messages waiting in a module server's channel.");
        public static readonly InstanceGauge EventLoopLag = new(
            "eventrouter.event_loop.lag", "s", "How late an event loop runs work that is due (last measured).");
    }
}
