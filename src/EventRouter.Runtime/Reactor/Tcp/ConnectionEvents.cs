using System;
using System.Buffers;
using System.IO;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

/// <summary>Why a <see cref="TcpConnection"/> closed.</summary>
public enum CloseReason
{
    /// <summary>The peer closed its side cleanly, between frames.</summary>
    RemoteClosed = 1,

    /// <summary>The peer closed its side cleanly in the middle of a frame.</summary>
    IncompleteFrame = 2,

    /// <summary>The connection failed (reset by the peer or a socket error); see the exception.</summary>
    ConnectionReset = 3,

    /// <summary>A frame was longer than the codec's maximum frame size.</summary>
    FrameTooLarge = 4,

    /// <summary>The codec rejected the bytes received.</summary>
    InvalidFrame = 5,

    /// <summary>The peer did not read fast enough and the bounded send buffer overflowed.</summary>
    SendBufferOverflow = 6,

    /// <summary>Nothing was received for <see cref="TcpConnectionOptions.IdleTimeout"/>.</summary>
    IdleTimeout = 7,

    /// <summary>A handler threw; see the exception.</summary>
    HandlerFailed = 8,

    /// <summary>The application called <see cref="TcpConnection.Close"/>.</summary>
    LocalClose = 9,

    /// <summary>The server is stopping.</summary>
    ServerStopping = 10,
}

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

/// <summary>Published when a connection opens (with <see cref="TcpConnectionOptions.Publisher"/>).</summary>
/// <param name="Connection">The connection.</param>
public readonly record struct ConnectionOpened(TcpConnection Connection);

/// <summary>Published for each frame received; <paramref name="Frame"/> is valid only during the publish.</summary>
/// <param name="Connection">The connection.</param>
/// <param name="Frame">The payload, in pooled receive memory.</param>
public readonly record struct FrameReceived(TcpConnection Connection, ReadOnlySequence<byte> Frame);

/// <summary>Published when a connection has closed.</summary>
/// <param name="Connection">The connection.</param>
/// <param name="Reason">Why it closed.</param>
/// <param name="Exception">The error behind the close, if any.</param>
public readonly record struct ConnectionClosed(TcpConnection Connection, CloseReason Reason, Exception? Exception);

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

/// <summary>
/// Turns the lifecycle into events for the publisher and, when both are set, calls the handler first. Listeners get
/// <see cref="TcpConnection.Closing"/> as their token, so a graceful stop can cut a long listener short.
/// </summary>
internal sealed class PublishingConnectionHandler(IConnectionHandler? inner, IEventPublisher publisher) : IConnectionHandler
{
    public ValueTask OnOpenedAsync(TcpConnection connection)
    {
        if (inner is null)
        {
            return publisher.PublishAsync(new ConnectionOpened(connection), connection.Closing);
        }
        var first = inner.OnOpenedAsync(connection);
        return first.IsCompletedSuccessfully ? publisher.PublishAsync(new ConnectionOpened(connection), connection.Closing) : Then(first, connection);

        async ValueTask Then(ValueTask pending, TcpConnection c)
        {
            await pending;
            await publisher.PublishAsync(new ConnectionOpened(c), c.Closing);
        }
    }

    public ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame)
    {
        if (inner is null)
        {
            return publisher.PublishAsync(new FrameReceived(connection, frame), connection.Closing);
        }
        var first = inner.OnFrameAsync(connection, frame);
        return first.IsCompletedSuccessfully ? publisher.PublishAsync(new FrameReceived(connection, frame), connection.Closing) : Then(first, connection, frame);

        async ValueTask Then(ValueTask pending, TcpConnection c, ReadOnlySequence<byte> f)
        {
            await pending;
            await publisher.PublishAsync(new FrameReceived(c, f), c.Closing);
        }
    }

    public async ValueTask OnClosedAsync(TcpConnection connection, CloseReason reason, Exception? exception)
    {
        // Both always run: a failing handler must not hide the close from listeners.
        Exception? failure = null;
        if (inner is not null)
        {
            try
            {
                await inner.OnClosedAsync(connection, reason, exception);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }
        await publisher.PublishAsync(new ConnectionClosed(connection, reason, exception));
        if (failure is not null)
        {
            throw failure;
        }
    }
}
