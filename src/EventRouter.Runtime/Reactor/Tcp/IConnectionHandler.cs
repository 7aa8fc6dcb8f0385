using System;
using System.Buffers;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

/// <summary>
/// Receives a connection's lifecycle on the connection's loop thread, one call at a time: opened, then frames in
/// order, then closed exactly once. The next frame is not read until the previous call's task completes, which is
/// what pauses reading when handlers are slow.
/// </summary>
public interface IConnectionHandler
{
    /// <summary>The connection is established. Frames are delivered after this completes.</summary>
    ValueTask OnOpenedAsync(TcpConnection connection) => default;

    /// <summary>
    /// One frame arrived. <paramref name="frame"/> points into pooled receive memory and is valid only until the
    /// returned task completes: copy what must outlive the call. Throwing closes this connection with
    /// <see cref="CloseReason.HandlerFailed"/>.
    /// </summary>
    ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame);

    /// <summary>The connection is closed (its socket is released). Called once, after any in-flight frame call.</summary>
    ValueTask OnClosedAsync(TcpConnection connection, CloseReason reason, Exception? exception) => default;
}
