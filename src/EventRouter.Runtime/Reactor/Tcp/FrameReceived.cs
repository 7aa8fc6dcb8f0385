using System;
using System.Buffers;

namespace EventRouter.Reactor;

/// <summary>Published for each frame received; <paramref name="Frame"/> is valid only during the publish.</summary>
/// <param name="Connection">The connection.</param>
/// <param name="Frame">The payload, in pooled receive memory.</param>
public readonly record struct FrameReceived(TcpConnection Connection, ReadOnlySequence<byte> Frame);
