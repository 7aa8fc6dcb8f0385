using System;
using System.Diagnostics;
using System.Net;

namespace EventRouter.Reactor;

/// <summary>
/// Spans of connection events: one per opened, frame and closed call of a <see cref="TcpConnection"/>'s handler.
/// Taken only when an ActivityListener listens (<see cref="ActivitySource.HasListeners"/> is one field read), so an
/// echoed frame still allocates nothing when nobody does.
/// </summary>
internal static class ConnectionTelemetry
{
    public const string Opened = "opened";
    public const string Frame = "frame";
    public const string Closed = "closed";

    /// <summary>True when a span would be recorded: the per-frame check.</summary>
    public static bool IsEnabled => Telemetry.Source.HasListeners();

    /// <summary>Starts the span of one connection event; null when no listener samples it.</summary>
    public static Activity? Start(TcpConnection connection, string connectionEvent)
    {
        var (name, kind) = connectionEvent switch
        {
            Frame => ("connection frame", ActivityKind.Consumer),
            Opened => ("connection opened", ActivityKind.Internal),
            _ => ("connection closed", ActivityKind.Internal),
        };
        var activity = Telemetry.Source.CreateActivity(name, kind);
        if (activity is null)
        {
            return null;
        }
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("network.transport", "tcp");
            activity.SetTag("eventrouter.connection.id", connection.Id);
            activity.SetTag("eventrouter.connection.event", connectionEvent);
            activity.SetTag("eventrouter.event_loop", connection.Loop.Name);
            if (connection.RemoteEndPoint is IPEndPoint remote)
            {
                activity.SetTag("network.peer.address", remote.Address.ToString());
                activity.SetTag("network.peer.port", remote.Port);
            }
        }
        return activity.Start();
    }
}
