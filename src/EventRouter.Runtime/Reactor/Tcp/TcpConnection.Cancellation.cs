using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

public sealed partial class TcpConnection
{
    /// <summary>
    /// Sends one frame, as <see cref="SendAsync(ReadOnlyMemory{byte})"/> does. A token cancelled before the call sends
    /// nothing; cancelled later, it ends only the wait for the flush: a frame once accepted is still sent whole and in
    /// order, since half a frame would corrupt the stream.
    /// </summary>
    /// <param name="payload">The frame's payload.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the frame is handed to the socket, or is cancelled.</returns>
    /// <exception cref="ConnectionClosedException">The connection is closed, or this send overflowed the send buffer.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendAsync(new ReadOnlySequence<byte>(payload), cancellationToken);

    /// <inheritdoc cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
    public ValueTask SendAsync(ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        var send = SendAsync(payload);
        return send.IsCompleted || !cancellationToken.CanBeCanceled
            ? send
            : new ValueTask(send.AsTask().WaitAsync(cancellationToken));
    }
}
