using System;
using System.Threading;

namespace EventRouter.RabbitMQ;

/// <summary>Where the bridge's connection to the broker stands.</summary>
public enum RabbitMQConnectionState
{
    /// <summary>Not connected yet: the first connect, or attempts in the background after it failed.</summary>
    Connecting,

    /// <summary>Connected; consumers run.</summary>
    Connected,

    /// <summary>The connection was lost; the client recovers it (and the consumers) by itself.</summary>
    Recovering,

    /// <summary>The broker refused the connection (credentials, virtual host); no further attempts.</summary>
    Failed,

    /// <summary>The bridge has stopped.</summary>
    Stopped,
}

/// <summary>
/// The state of the bridge's connection, for a health check (resolve it from the container and map
/// <see cref="State"/> to healthy, degraded or unhealthy).
/// </summary>
public sealed class RabbitMQBridgeStatus
{
    private volatile StateSnapshot _snapshot = new(RabbitMQConnectionState.Connecting, null);
    private int _attempts;

    /// <summary>The connection's state now.</summary>
    public RabbitMQConnectionState State => _snapshot.State;

    /// <summary>Why the bridge is not connected (the last connect error or the reason of the loss); null when connected.</summary>
    public string? LastError => _snapshot.Error;

    /// <summary>How many times the bridge tried to open its connection (not counting the client's own recovery).</summary>
    public int ConnectAttempts => Volatile.Read(ref _attempts);

    internal void Attempted() => Interlocked.Increment(ref _attempts);

    internal void Set(RabbitMQConnectionState state, string? error) => _snapshot = new StateSnapshot(state, error);

    private sealed record StateSnapshot(RabbitMQConnectionState State, string? Error);
}
