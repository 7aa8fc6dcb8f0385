using System;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace EventRouter.Reactor;

/// <summary>Log messages of the reactor (event ids 5001-5099). Nothing here is on a success path.</summary>
internal static partial class ReactorLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Event loop '{LoopName}' is blocked: one work item has been running for {BlockedMs} ms (threshold {ThresholdMs} ms).")]
    public static partial void LoopBlocked(ILogger logger, string loopName, double blockedMs, double thresholdMs);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "A work item on event loop '{LoopName}' threw; the loop keeps running.")]
    public static partial void WorkItemFailed(ILogger logger, string loopName, Exception exception);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Publishing '{EventType}' from event loop '{LoopName}' failed.")]
    public static partial void PublishFailed(ILogger logger, string loopName, string eventType, Exception exception);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "Connection {ConnectionId} ({RemoteEndPoint}) closed: {Reason}.")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string? remoteEndPoint, CloseReason reason, Exception? exception);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Error, Message = "The closed handler of connection {ConnectionId} threw.")]
    public static partial void ClosedHandlerFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Connection limit {MaxConnections} reached: rejected a connection from {RemoteEndPoint}.")]
    public static partial void ConnectionRejected(ILogger logger, int maxConnections, string? remoteEndPoint);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Error, Message = "Accepting a connection failed; the server keeps listening.")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "Server stop timed out after {TimeoutMs} ms; aborted {Count} connection(s) whose handlers had not finished.")]
    public static partial void StopTimedOut(ILogger logger, double timeoutMs, int count);
}

/// <summary>
/// Reactor instruments, on the runtime's one <c>EventRouter</c> meter so every listener sees them. Named after the
/// part they measure (<c>eventrouter.event_loop.*</c>, <c>eventrouter.tcp.*</c>), durations in seconds, every
/// instrument with a unit, as the OpenTelemetry metric conventions ask.
/// </summary>
internal static class ReactorMetrics
{
    private static Meter Meter => Telemetry.Meter;

    public static readonly Counter<long> LoopBlocked = Meter.CreateCounter<long>(
        "eventrouter.event_loop.blocked", "{detection}", "Times an event loop was detected blocked.");

    public static readonly Histogram<double> LoopLag = Meter.CreateHistogram<double>(
        "eventrouter.event_loop.lag.probe", "s",
        "Delay between posting a watchdog probe to an event loop and the loop running it (every probe; eventrouter.event_loop.lag reports the last).");

    public static readonly Counter<long> ConnectionsOpened = Meter.CreateCounter<long>(
        "eventrouter.tcp.connections.opened", "{connection}", "TCP connections opened.");

    public static readonly Counter<long> ConnectionsClosed = Meter.CreateCounter<long>(
        "eventrouter.tcp.connections.closed", "{connection}", "TCP connections closed, by reason.");

    public static readonly Counter<long> ConnectionsRejected = Meter.CreateCounter<long>(
        "eventrouter.tcp.connections.rejected", "{connection}", "TCP connections refused by the connection limit.");
}
