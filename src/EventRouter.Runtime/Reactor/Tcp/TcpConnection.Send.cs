using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

public sealed partial class TcpConnection
{
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
            if (pending + payload.Length + _codec.MaxOverhead > _maxSendBytes)
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
}
