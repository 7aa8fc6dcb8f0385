using System;
using System.IO;

namespace EventRouter.Reactor;

/// <summary>Thrown by <see cref="TcpConnection.SendAsync(ReadOnlyMemory{byte})"/> on a connection that is closed or closing.</summary>
public sealed class ConnectionClosedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionClosedException(CloseReason reason)
        : base($"The connection is closed ({reason}).")
    {
        Reason = reason;
    }

    /// <summary>Why the connection closed.</summary>
    public CloseReason Reason { get; }
}
