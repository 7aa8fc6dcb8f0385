using System;
using System.Net;

namespace EventRouter.Reactor;

/// <summary>Settings of a <see cref="TcpServer"/>.</summary>
public sealed class TcpServerOptions : TcpConnectionOptions
{
    /// <summary>Where to listen. Default: 127.0.0.1, port 0 (any free port; see <see cref="TcpServer.LocalEndPoint"/>).</summary>
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>Open connections beyond which new ones are accepted and closed at once. Default: 10,000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>The listen backlog. Default: 1,024.</summary>
    public int Backlog { get; set; } = 1024;

    /// <summary>How long <see cref="TcpServer.StopAsync()"/> lets in-flight handlers finish before aborting connections. Default: 10 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the server's own settings (the connection settings are checked by <see cref="TcpConnectionOptions"/>).</summary>
    internal void ValidateServer()
    {
        ArgumentNullException.ThrowIfNull(EndPoint);
        if (MaxConnections <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "MaxConnections must be positive.");
        }
        if (Backlog < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "The listen backlog cannot be negative.");
        }
        ValidateWait(ShutdownTimeout, nameof(ShutdownTimeout));
    }
}
