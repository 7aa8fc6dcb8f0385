using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventRouter.Reactor;

/// <summary>
/// A TCP connection bound to one <see cref="EventLoop"/>: its handler calls run on that loop, one at a time.
/// Created by <see cref="TcpServer"/> for accepted sockets and by <see cref="TcpConnector"/> for outgoing ones.
/// </summary>
/// <remarks>
/// Three flows per connection. The receive loop (thread pool) moves socket bytes into the input pipe, which pauses
/// it above <see cref="TcpConnectionOptions.ReceivePauseThreshold"/>. The process loop (on the event loop, resumed
/// through the pipe's reader scheduler) decodes frames and awaits the handler for each. Sends are encoded into the
/// output pipe and written to the socket inline by the send loop; the bytes queued there are counted and bounded.
/// </remarks>
public sealed partial class TcpConnection
{
    private static long s_nextId;
    private static readonly Action<object?> s_idleCheck = static s => ((TcpConnection)s!).CheckIdle();

    private readonly Socket _socket;
    private readonly EventLoop _loop;
    private readonly FrameCodec _codec;
    private readonly IConnectionHandler _handler;
    private readonly TcpConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly object _sendLock = new();
    private readonly long _maxSendBytes;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<TcpConnection>? _onClosed;
    private readonly bool _tracksIdle;
    private FrameScratch? _scratch; // encodes a frame for a direct send; guarded by _sendLock

    // Reason and exception are published together in one reference swap, so whoever sees the connection closing
    // also sees the exception that closed it.
    private CloseInfo? _close;
    private CancellationTokenSource? _closing;
    private int _aborted;
    private bool _outputCompleted;
    private long _pendingSendBytes;
    private long _receivedBytes;
    private long _lastActivity;
    private LoopTimer? _idleTimer;
    private Task? _receiveTask;
    private Task? _sendTask;

    internal TcpConnection(Socket socket, EventLoop loop, TcpConnectionOptions options, Action<TcpConnection>? onClosed)
    {
        _socket = socket;
        _loop = loop;
        _options = options;
        _codec = options.Codec;
        _handler = options.Publisher is null ? options.Handler! : new PublishingConnectionHandler(options.Handler, options.Publisher);
        _logger = options.LoggerFactory?.CreateLogger("EventRouter.Reactor.Tcp") ?? NullLogger.Instance;
        _onClosed = onClosed;
        Id = Interlocked.Increment(ref s_nextId);
        RemoteEndPoint = socket.RemoteEndPoint;
        LocalEndPoint = socket.LocalEndPoint;

        // The pause threshold must hold one whole maximum-size frame, or a large frame would wait forever for bytes
        // the paused receive loop will never read.
        var pause = Math.Max((long)options.ReceivePauseThreshold, (long)_codec.MaxFrameSize + _codec.MaxOverhead + 1);
        // Likewise the send bound holds one whole maximum-size frame: a frame the codec accepts can always be sent
        // to a peer that reads.
        _maxSendBytes = Math.Max((long)options.MaxSendBufferSize, (long)_codec.MaxFrameSize + _codec.MaxOverhead);
        // Both pipes take their buffers from the loop's block pool, not the shared array pool: see BlockMemoryPool.
        var pool = loop.MemoryPool;
        _input = new Pipe(new PipeOptions(
            pool: pool,
            readerScheduler: loop.PipeScheduler,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            minimumSegmentSize: BlockMemoryPool.BlockSize,
            useSynchronizationContext: false));
        // No pause on the output: the bound is ours (MaxSendBufferSize), enforced by disconnecting, not by waiting.
        // An inline reader scheduler makes a flush write to the socket on the sender's thread: no thread hop.
        _output = new Pipe(new PipeOptions(
            pool: pool,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            minimumSegmentSize: BlockMemoryPool.BlockSize,
            useSynchronizationContext: false));
        _tracksIdle = options.IdleTimeout != Timeout.InfiniteTimeSpan;
        // Direct sends must never block the loop: a full socket buffer returns WouldBlock and the rest is queued.
        // Asynchronous receives and the send loop's sends are unaffected.
        socket.Blocking = false;
    }

    /// <summary>A process-wide unique id.</summary>
    public long Id { get; }

    /// <summary>The loop this connection's handler calls run on.</summary>
    public EventLoop Loop => _loop;

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The local address.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>True until the connection starts closing.</summary>
    public bool IsConnected => Volatile.Read(ref _close) is null;

    /// <summary>Why the connection closed, or null while it is open.</summary>
    public CloseReason? CloseReason
    {
        get
        {
            return Volatile.Read(ref _close)?.Reason;
        }
    }

    /// <summary>Bytes queued for sending and not yet accepted by the socket.</summary>
    public long PendingSendBytes => Interlocked.Read(ref _pendingSendBytes);

    /// <summary>Total bytes received from the socket.</summary>
    public long ReceivedBytes => Interlocked.Read(ref _receivedBytes);

    /// <summary>Application state for this connection; touch it only on <see cref="Loop"/> to need no lock.</summary>
    public object? UserState { get; set; }

    /// <summary>
    /// Cancelled when the connection starts closing, so a long handler call can stop early during a graceful stop.
    /// Created on first use (nothing is allocated for connections that never ask). Callbacks registered on it run on
    /// the thread that closes the connection.
    /// </summary>
    public CancellationToken Closing
    {
        get
        {
            var cts = Volatile.Read(ref _closing);
            if (cts is null)
            {
                var created = new CancellationTokenSource();
                cts = Interlocked.CompareExchange(ref _closing, created, null) ?? created;
                if (!ReferenceEquals(cts, created))
                {
                    created.Dispose();
                }
                else if (IsClosing)
                {
                    // Closed before anyone asked: RequestClose may have missed this source.
                    cts.Cancel();
                }
            }
            return cts.Token;
        }
    }

    /// <summary>Completes after the connection has closed and its closed handler has run.</summary>
    public Task Completion => _completion.Task;

    private bool IsClosing => Volatile.Read(ref _close) is not null;

    internal void Start()
    {
        _lastActivity = _loop.TimeProvider.GetTimestamp();
        _loop.Post(static s => ((TcpConnection)s!).StartOnLoop(), this);
    }

    private void StartOnLoop()
    {
        // The task is observed through Completion; ProcessAsync catches everything itself.
        _ = ProcessAsync();
    }

    private void CheckIdle()
    {
        if (IsClosing)
        {
            return;
        }
        var idleFor = _loop.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastActivity));
        if (idleFor >= _options.IdleTimeout)
        {
            RequestClose(Reactor.CloseReason.IdleTimeout, null);
        }
        else
        {
            // One timer per connection, re-armed from the last activity: no timer work per received byte.
            _loop.Rearm(_idleTimer!, _options.IdleTimeout - idleFor);
        }
    }

    // The traced calls are async methods so the span they make current is undone when they return to the process
    // loop; a plain await keeps the loop's synchronization context, as the untraced path does.
    private async ValueTask OnOpenedTracedAsync()
    {
        using var activity = ConnectionTelemetry.Start(this, ConnectionTelemetry.Opened);
        try
        {
            await _handler.OnOpenedAsync(this);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }
}
