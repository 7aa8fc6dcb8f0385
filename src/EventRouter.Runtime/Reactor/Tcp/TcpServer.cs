using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventRouter.Reactor;

/// <summary>
/// A TCP server on an <see cref="EventLoopGroup"/>: accepted connections are bound round-robin to the group's loops
/// and framed, handled and bounded as <see cref="TcpServerOptions"/> says.
/// </summary>
public sealed class TcpServer : IAsyncDisposable
{
    private readonly EventLoopGroup _group;
    private readonly TcpServerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, TcpConnection> _connections = new();
    private readonly Action<TcpConnection> _onConnectionClosed;
    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private Task? _acceptTask;
    private Task? _stopTask;
    private int _connectionCount;
    private long _rejected;
    private int _stopping;
    private readonly CancellationTokenSource _abortStop = new();

    /// <summary>Creates the server; call <see cref="Start"/> to listen.</summary>
    /// <param name="group">The loops connections are bound to.</param>
    /// <param name="options">Framing, handler, limits and address.</param>
    public TcpServer(EventLoopGroup group, TcpServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options.ValidateServer();
        _group = group;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger("EventRouter.Reactor.Tcp") ?? NullLogger.Instance;
        _onConnectionClosed = OnConnectionClosed;
    }

    /// <summary>The address the server listens on (with the actual port when port 0 was asked for).</summary>
    /// <exception cref="InvalidOperationException">The server has not been started.</exception>
    public IPEndPoint LocalEndPoint =>
        _localEndPoint ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>The number of open connections.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>How many connections were refused because <see cref="TcpServerOptions.MaxConnections"/> was reached.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejected);

    /// <summary>A snapshot of the open connections.</summary>
    public IReadOnlyCollection<TcpConnection> Connections => _connections.Values.ToArray();

    /// <summary>Binds, listens and starts accepting.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The server has already been started.");
        }
        var listener = new Socket(_options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(_options.EndPoint);
            listener.Listen(_options.Backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        _localEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptTask = AcceptLoopAsync(listener);
    }

    /// <summary>
    /// Stops gracefully: stops accepting, closes every connection with <see cref="CloseReason.ServerStopping"/>
    /// (in-flight handler calls finish and queued sends are flushed), and after
    /// <see cref="TcpServerOptions.ShutdownTimeout"/> aborts whatever is still open. Idempotent.
    /// </summary>
    public Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            _stopTask = StopCoreAsync();
        }
        return Volatile.Read(ref _stopTask) ?? StopCoreAsyncWhenSet();

        async Task StopCoreAsyncWhenSet()
        {
            // Lost the race with the caller that started the stop: wait for its task to be published.
            while (Volatile.Read(ref _stopTask) is null)
            {
                await Task.Yield();
            }
            await _stopTask!.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops gracefully, as <see cref="StopAsync()"/> does; if <paramref name="cancellationToken"/> is cancelled first
    /// (a host's shutdown timeout), aborts the connections still open at once instead of waiting for
    /// <see cref="TcpServerOptions.ShutdownTimeout"/>.
    /// </summary>
    /// <param name="cancellationToken">Turns the graceful stop into an abort.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stop = StopAsync();
        if (stop.IsCompleted || !cancellationToken.CanBeCanceled)
        {
            await stop.ConfigureAwait(false);
            return;
        }
        using (cancellationToken.UnsafeRegister(static s => ((TcpServer)s!)._abortStop.Cancel(), this))
        {
            await stop.ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server (see <see cref="StopAsync()"/>).</summary>
    public ValueTask DisposeAsync() => new(StopAsync());

    private void AbortOpen()
    {
        foreach (var connection in _connections.Values.ToArray())
        {
            connection.Abort(reset: true);
        }
    }

    private async Task StopCoreAsync()
    {
        _listener?.Dispose();
        if (_acceptTask is not null)
        {
            await _acceptTask.ConfigureAwait(false);
        }
        var open = _connections.Values.ToArray();
        foreach (var connection in open)
        {
            connection.RequestClose(CloseReason.ServerStopping, null);
        }
        var all = Task.WhenAll(open.Select(static c => c.Completion));
        try
        {
            await all.WaitAsync(_options.ShutdownTimeout, _abortStop.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var stuck = _connections.Values.ToArray();
            ReactorLog.StopTimedOut(_logger, _options.ShutdownTimeout.TotalMilliseconds, stuck.Length);
            AbortOpen();
        }
        catch (OperationCanceledException) when (_abortStop.IsCancellationRequested)
        {
            AbortOpen(); // the caller's token ended the graceful part early
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (Volatile.Read(ref _stopping) == 0)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception) when (Volatile.Read(ref _stopping) != 0)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Transient accept failures (the peer gave up, descriptor pressure) must not stop the server.
                ReactorLog.AcceptFailed(_logger, ex);
                continue;
            }
            Accept(socket);
        }
    }

    private void Accept(Socket socket)
    {
        if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections || Volatile.Read(ref _stopping) != 0)
        {
            Interlocked.Decrement(ref _connectionCount);
            if (Volatile.Read(ref _stopping) == 0)
            {
                Interlocked.Increment(ref _rejected);
                ReactorMetrics.ConnectionsRejected.Add(1);
                ReactorLog.ConnectionRejected(_logger, _options.MaxConnections, socket.RemoteEndPoint?.ToString());
            }
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
            return;
        }
        TcpConnection connection;
        try
        {
            socket.NoDelay = true;
            connection = new TcpConnection(socket, _group.Next(), _options, _onConnectionClosed);
            _connections[connection.Id] = connection;
            connection.Start();
        }
        catch (Exception ex)
        {
            // A stopped loop or a socket that died between accept and here: drop just this connection.
            Interlocked.Decrement(ref _connectionCount);
            ReactorLog.AcceptFailed(_logger, ex);
            socket.Dispose();
            return;
        }
        if (Volatile.Read(ref _stopping) != 0)
        {
            // Stop began while we were registering: make sure this one is closed too.
            connection.RequestClose(CloseReason.ServerStopping, null);
        }
    }

    private void OnConnectionClosed(TcpConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _))
        {
            Interlocked.Decrement(ref _connectionCount);
        }
    }
}
