using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
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
public sealed class TcpConnection
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

    /// <summary>
    /// Encodes <paramref name="payload"/> as one frame and queues it; the bytes are copied, so the caller may reuse
    /// its buffer at once. Completes synchronously. Safe from any thread.
    /// </summary>
    /// <exception cref="ConnectionClosedException">
    /// The connection is closed or aborted, or this send overflowed the send buffer (which closes it). During a graceful
    /// close the handler call in flight can still send.
    /// </exception>
    /// <exception cref="ArgumentException">The payload is larger than the codec allows.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload) => SendAsync(new ReadOnlySequence<byte>(payload));

    /// <inheritdoc cref="SendAsync(ReadOnlyMemory{byte})"/>
    public ValueTask SendAsync(ReadOnlySequence<byte> payload)
    {
        var overflow = false;
        lock (_sendLock)
        {
            // A graceful close still lets the in-flight handler reply: sends are refused only once the output is
            // completed (close in progress) or the socket was dropped.
            if (_outputCompleted || Volatile.Read(ref _aborted) != 0)
            {
                return ValueTask.FromException(new ConnectionClosedException(CloseReason ?? Reactor.CloseReason.LocalClose));
            }
            var pending = Interlocked.Read(ref _pendingSendBytes);
            if (pending + payload.Length + _codec.MaxOverhead > _options.MaxSendBufferSize)
            {
                overflow = true;
            }
            else if (pending != 0 || !TrySendDirect(payload))
            {
                var writer = _output.Writer;
                _codec.Encode(payload, writer);
                Interlocked.Add(ref _pendingSendBytes, writer.UnflushedBytes);
                // Never pauses (threshold 0); with the inline reader scheduler this usually writes to the socket now.
                var flush = writer.FlushAsync();
                if (!flush.IsCompleted)
                {
                    return AwaitFlush(flush);
                }
                flush.GetAwaiter().GetResult();
            }
        }
        if (overflow)
        {
            RequestClose(Reactor.CloseReason.SendBufferOverflow, null);
            return ValueTask.FromException(new ConnectionClosedException(Reactor.CloseReason.SendBufferOverflow));
        }
        return default;

        static async ValueTask AwaitFlush(ValueTask<FlushResult> flush) => await flush.ConfigureAwait(false);
    }

    /// <summary>
    /// The common case of a send: nothing is queued, so the frame goes straight to the socket from a scratch buffer,
    /// without the output pipe and the send loop (a pipe flush, a read, an advance and their locks per frame). Whatever
    /// the socket does not take at once is queued in the output pipe, and every later send queues behind it until
    /// the send loop has caught up, so bytes keep their order. Called under the send lock with nothing pending.
    /// </summary>
    /// <returns>False when the frame is larger than one block: the caller queues it the usual way.</returns>
    private bool TrySendDirect(in ReadOnlySequence<byte> payload)
    {
        if (payload.Length + _codec.MaxOverhead > BlockMemoryPool.BlockSize)
        {
            return false;
        }
        var scratch = _scratch ??= new FrameScratch();
        scratch.Begin(BlockMemoryPool.BlockSize);
        try
        {
            _codec.Encode(payload, scratch);
            var frame = scratch.Written;
            int sent;
            SocketError error;
            try
            {
                sent = _socket.Send(frame, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException ex)
            {
                // Aborted meanwhile: the frame is lost with the connection, as it would be in the send loop.
                RequestClose(Reactor.CloseReason.ConnectionReset, ex);
                return true;
            }
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                if (!IsClosing)
                {
                    RequestClose(Reactor.CloseReason.ConnectionReset, new SocketException((int)error));
                }
                return true;
            }
            if (sent < frame.Length)
            {
                // The socket's buffer is full: the rest waits in the output pipe for the send loop.
                var rest = frame[sent..];
                _output.Writer.Write(rest);
                Interlocked.Add(ref _pendingSendBytes, rest.Length);
                var flush = _output.Writer.FlushAsync();
                if (flush.IsCompleted)
                {
                    flush.GetAwaiter().GetResult();
                }
                else
                {
                    // Cannot pause (threshold 0); observe it anyway so nothing goes unobserved.
                    _ = flush.AsTask();
                }
            }
            return true;
        }
        finally
        {
            scratch.End();
        }
    }

    /// <summary>Closes the connection with <see cref="Reactor.CloseReason.LocalClose"/>: queued sends are flushed first.</summary>
    public void Close() => RequestClose(Reactor.CloseReason.LocalClose, null);

    internal void Start()
    {
        _lastActivity = _loop.TimeProvider.GetTimestamp();
        _loop.Post(static s => ((TcpConnection)s!).StartOnLoop(), this);
    }

    /// <summary>Sets the close reason (first caller wins) and wakes the process loop; an abortive reason drops the socket at once.</summary>
    internal bool RequestClose(CloseReason reason, Exception? exception)
    {
        if (Volatile.Read(ref _close) is not null || Interlocked.CompareExchange(ref _close, new CloseInfo(reason, exception), null) is not null)
        {
            return false;
        }
        if (reason is Reactor.CloseReason.ConnectionReset or Reactor.CloseReason.SendBufferOverflow)
        {
            Abort(reset: reason == Reactor.CloseReason.SendBufferOverflow);
        }
        _input.Reader.CancelPendingRead();
        CancelClosingToken();
        return true;
    }

    private void CancelClosingToken()
    {
        try
        {
            Volatile.Read(ref _closing)?.Cancel();
        }
        catch (AggregateException)
        {
            // A user callback threw; closing must go on regardless.
        }
    }

    /// <summary>Drops the socket now; pending sends are discarded. Used on faults and when a stop times out.</summary>
    internal void Abort(bool reset)
    {
        RequestClose(Reactor.CloseReason.ServerStopping, null);
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
        try
        {
            if (reset)
            {
                // RST: do not let the kernel keep trying to deliver to a peer we have given up on.
                _socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception)
        {
            // The socket may already be gone; disposing is all that matters.
        }
        _socket.Dispose();
    }

    private void StartOnLoop()
    {
        // The task is observed through Completion; ProcessAsync catches everything itself.
        _ = ProcessAsync();
    }

    private async Task ProcessAsync()
    {
        var reader = _input.Reader;
        try
        {
            ReactorMetrics.ConnectionsOpened.Add(1);
            _receiveTask = ReceiveLoopAsync();
            _sendTask = SendLoopAsync();
            if (_tracksIdle)
            {
                _idleTimer = _loop.Schedule(_options.IdleTimeout, s_idleCheck, this);
            }

            var opened = ConnectionTelemetry.IsEnabled ? OnOpenedTracedAsync() : _handler.OnOpenedAsync(this);
            if (opened.IsCompletedSuccessfully)
            {
                opened.GetAwaiter().GetResult();
            }
            else
            {
                await opened;
            }

            while (!IsClosing)
            {
                // ConfigureAwait(false): the pipe's reader scheduler already resumes us on the loop, without the
                // per-completion allocation that posting through the captured context would cost.
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (result.IsCanceled)
                    {
                        break;
                    }
                    while (!IsClosing)
                    {
                        var status = _codec.Decode(ref buffer, out var frame);
                        if (status == FrameStatus.Complete)
                        {
                            // One field read decides: the untraced call allocates nothing per frame.
                            var handled = ConnectionTelemetry.IsEnabled ? OnFrameTracedAsync(frame) : _handler.OnFrameAsync(this, frame);
                            if (handled.IsCompletedSuccessfully)
                            {
                                handled.GetAwaiter().GetResult();
                            }
                            else
                            {
                                // A plain await: a handler that went off-loop brings us back to the loop.
                                await handled;
                            }
                            continue;
                        }
                        if (status == FrameStatus.TooLarge)
                        {
                            RequestClose(Reactor.CloseReason.FrameTooLarge, null);
                        }
                        else if (status == FrameStatus.Invalid)
                        {
                            RequestClose(Reactor.CloseReason.InvalidFrame, null);
                        }
                        break;
                    }
                    if (result.IsCompleted)
                    {
                        RequestClose(buffer.IsEmpty ? Reactor.CloseReason.RemoteClosed : Reactor.CloseReason.IncompleteFrame, null);
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (Exception ex)
        {
            RequestClose(Reactor.CloseReason.HandlerFailed, ex);
        }
        await CloseCoreAsync();
    }

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(4096);
                var received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }
                writer.Advance(received);
                Interlocked.Add(ref _receivedBytes, received);
                if (_tracksIdle)
                {
                    // Only the idle timer reads it: without one, a clock read per receive would be wasted.
                    Volatile.Write(ref _lastActivity, _loop.TimeProvider.GetTimestamp());
                }
                // Pauses here while the handler is behind: the socket is not read, so TCP pushes back on the peer.
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // After we close, the disposed socket throws here; only a fault of an open connection is news.
            if (!IsClosing)
            {
                RequestClose(Reactor.CloseReason.ConnectionReset, ex);
            }
        }
        await writer.CompleteAsync().ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    var remaining = segment;
                    while (!remaining.IsEmpty)
                    {
                        var sent = await _socket.SendAsync(remaining, SocketFlags.None).ConfigureAwait(false);
                        remaining = remaining.Slice(sent);
                    }
                    Interlocked.Add(ref _pendingSendBytes, -segment.Length);
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
            if (Volatile.Read(ref _aborted) == 0)
            {
                // Everything queued reached the socket: tell the peer we are done (FIN) before the socket is closed.
                _socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex)
        {
            if (!IsClosing)
            {
                RequestClose(Reactor.CloseReason.ConnectionReset, ex);
            }
        }
        await reader.CompleteAsync().ConfigureAwait(false);
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

    private async Task CloseCoreAsync()
    {
        var (reason, closeException) = Volatile.Read(ref _close)!;
        _idleTimer?.Cancel();
        await _input.Reader.CompleteAsync();
        lock (_sendLock)
        {
            if (!_outputCompleted)
            {
                _outputCompleted = true;
                _output.Writer.Complete();
            }
        }
        if (_sendTask is not null && Volatile.Read(ref _aborted) == 0)
        {
            try
            {
                await _sendTask.WaitAsync(_options.CloseTimeout);
            }
            catch (TimeoutException)
            {
                // The peer is not taking our last bytes; the socket is dropped below either way.
            }
        }
        Abort(reset: false);
        if (_receiveTask is not null)
        {
            await _receiveTask;
        }

        ReactorMetrics.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("reason", ReasonNames[(int)reason]));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            // Guarded here, not only inside the generated method: formatting the endpoint would allocate per close.
            ReactorLog.ConnectionClosed(_logger, Id, RemoteEndPoint?.ToString(), reason, closeException);
        }
        try
        {
            var closed = ConnectionTelemetry.IsEnabled
                ? OnClosedTracedAsync(reason, closeException)
                : _handler.OnClosedAsync(this, reason, closeException);
            if (closed.IsCompletedSuccessfully)
            {
                closed.GetAwaiter().GetResult();
            }
            else
            {
                await closed;
            }
        }
        catch (Exception ex)
        {
            ReactorLog.ClosedHandlerFailed(_logger, Id, ex);
        }
        _onClosed?.Invoke(this);
        _completion.TrySetResult();
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

    private async ValueTask OnFrameTracedAsync(ReadOnlySequence<byte> frame)
    {
        using var activity = ConnectionTelemetry.Start(this, ConnectionTelemetry.Frame);
        activity?.SetTag("messaging.message.body.size", frame.Length);
        try
        {
            await _handler.OnFrameAsync(this, frame);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }

    private async ValueTask OnClosedTracedAsync(CloseReason reason, Exception? closeException)
    {
        using var activity = ConnectionTelemetry.Start(this, ConnectionTelemetry.Closed);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("eventrouter.close_reason", ReasonNames[(int)reason]);
            if (closeException is not null)
            {
                // The close's cause, not a failure of this span: an error.type tag, not an error status.
                activity.SetTag("error.type", closeException.GetType().FullName);
            }
        }
        try
        {
            await _handler.OnClosedAsync(this, reason, closeException);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }

    private static readonly string[] ReasonNames = BuildReasonNames();

    private sealed record CloseInfo(CloseReason Reason, Exception? Exception);

    private static string[] BuildReasonNames()
    {
        var names = new string[(int)Reactor.CloseReason.ServerStopping + 1];
        for (var i = 1; i < names.Length; i++)
        {
            names[i] = ((CloseReason)i).ToString();
        }
        names[0] = "None";
        return names;
    }
}
