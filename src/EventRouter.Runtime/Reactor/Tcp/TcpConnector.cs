using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventRouter.Reactor;

/// <summary>Opens client connections with the same framing, handler and limits as server connections.</summary>
public static class TcpConnector
{
    /// <summary>Connects to <paramref name="remoteEndPoint"/> and binds the connection to <paramref name="loop"/>.</summary>
    /// <param name="loop">The loop the handler calls run on.</param>
    /// <param name="remoteEndPoint">The server's address.</param>
    /// <param name="options">Framing, handler and limits.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The open connection; its opened handler runs on the loop shortly after.</returns>
    public static async Task<TcpConnection> ConnectAsync(
        EventLoop loop, EndPoint remoteEndPoint, TcpConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var socket = new Socket(remoteEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(remoteEndPoint, cancellationToken).ConfigureAwait(false);
            var connection = new TcpConnection(socket, loop, options, onClosed: null);
            connection.Start();
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
