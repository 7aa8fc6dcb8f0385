using System;

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
