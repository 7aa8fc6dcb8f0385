using System;
using System.Buffers.Binary;

namespace EventRouter.Reactor;

/// <summary>The outcome of <see cref="FrameCodec.Decode"/>.</summary>
public enum FrameStatus
{
    /// <summary>A frame was read; the buffer was advanced past it.</summary>
    Complete = 0,

    /// <summary>More bytes are needed; the buffer is unchanged.</summary>
    Incomplete = 1,

    /// <summary>The next frame is longer than <see cref="FrameCodec.MaxFrameSize"/>: the connection is closed.</summary>
    TooLarge = 2,

    /// <summary>The bytes cannot be a frame of this codec: the connection is closed.</summary>
    Invalid = 3,
}
