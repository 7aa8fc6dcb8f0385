using System;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace EventRouter.Reactor;

/// <summary>Settings shared by server-accepted and client connections.</summary>
public class TcpConnectionOptions
{
    /// <summary>How the byte stream is split into frames. Default: <see cref="FrameCodec.Raw"/>.</summary>
    public FrameCodec Codec { get; set; } = FrameCodec.Raw();

    /// <summary>Receives the connection lifecycle. At least one of this and <see cref="Publisher"/> is required.</summary>
    public IConnectionHandler? Handler { get; set; }

    /// <summary>
    /// Receives the lifecycle as <see cref="ConnectionOpened"/>, <see cref="FrameReceived"/> and
    /// <see cref="ConnectionClosed"/> events (normally the generated dispatcher). With a <see cref="Handler"/> too,
    /// the handler runs first.
    /// </summary>
    public IEventPublisher? Publisher { get; set; }

    /// <summary>
    /// The most bytes waiting to be sent to a peer. A send that would exceed it closes the connection with
    /// <see cref="CloseReason.SendBufferOverflow"/>, so a peer that stops reading cannot grow memory. Raised
    /// automatically to fit one maximum-size frame of the <see cref="Codec"/>. Default: 1 MiB.
    /// </summary>
    public int MaxSendBufferSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Received-but-unprocessed bytes at which reading from the socket pauses (resuming at half), so a slow handler
    /// pushes back on the peer through TCP. Raised automatically to fit one maximum-size frame. Default: 64 KiB.
    /// </summary>
    public int ReceivePauseThreshold { get; set; } = 64 * 1024;

    /// <summary>Closes a connection that receives nothing for this long. Default: <see cref="Timeout.InfiniteTimeSpan"/> (never).</summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long a graceful close waits for queued sends to reach the socket. Default: 5 seconds.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where connections log. Optional.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal void Validate()
    {
        if (Handler is null && Publisher is null)
        {
            throw new ArgumentException("Set TcpConnectionOptions.Handler or TcpConnectionOptions.Publisher (or both).");
        }
        ValidateValues();
    }

    /// <summary>Checks every setting but the handler and publisher, which a host fills in from its container.</summary>
    internal void ValidateValues()
    {
        ArgumentNullException.ThrowIfNull(Codec);
        if (MaxSendBufferSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSendBufferSize), MaxSendBufferSize, "Must be positive.");
        }
        if (ReceivePauseThreshold <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceivePauseThreshold), ReceivePauseThreshold, "Must be positive.");
        }
        if (IdleTimeout <= TimeSpan.Zero && IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "Must be positive or infinite.");
        }
        ValidateWait(CloseTimeout, nameof(CloseTimeout));
    }

    /// <summary>A timeout handed to <c>Task.WaitAsync</c>: zero or positive (below 49 days), or infinite.</summary>
    private protected static void ValidateWait(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value.TotalMilliseconds > uint.MaxValue - 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be zero or positive (and below 49 days), or Timeout.InfiniteTimeSpan.");
        }
    }
}
