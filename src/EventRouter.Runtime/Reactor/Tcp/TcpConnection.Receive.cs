using System;
using System.Buffers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

public sealed partial class TcpConnection
{
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
}
