using System;
using System.Buffers;
using System.Buffers.Binary;

namespace EventRouter.Reactor;

/// <summary>
/// Splits a byte stream into frames and writes frames back. Built-in: <see cref="Raw"/>, <see cref="LineDelimited"/>,
/// <see cref="LengthPrefixed"/>; derive for a custom protocol. Instances hold no per-connection state and are shared.
/// </summary>
public abstract class FrameCodec
{
    /// <summary>Creates a codec.</summary>
    /// <param name="maxFrameSize">The largest frame payload accepted, in bytes; must be positive.</param>
    /// <param name="maxOverhead">The most bytes a frame adds around its payload (header, delimiter).</param>
    protected FrameCodec(int maxFrameSize, int maxOverhead)
    {
        if (maxFrameSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxFrameSize), maxFrameSize, "The maximum frame size must be positive.");
        }
        if (maxOverhead < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxOverhead), maxOverhead, "The overhead cannot be negative.");
        }
        MaxFrameSize = maxFrameSize;
        MaxOverhead = maxOverhead;
    }

    /// <summary>The largest frame payload accepted, in bytes.</summary>
    public int MaxFrameSize { get; }

    /// <summary>The most bytes a frame adds around its payload; with <see cref="MaxFrameSize"/> it bounds receive buffering.</summary>
    public int MaxOverhead { get; }

    /// <summary>
    /// Reads one frame from the front of <paramref name="buffer"/>. On <see cref="FrameStatus.Complete"/>,
    /// <paramref name="frame"/> is the payload (a slice of the buffer, valid until the handler's call completes) and
    /// <paramref name="buffer"/> starts after the frame. Must report <see cref="FrameStatus.TooLarge"/> rather than
    /// wait for more bytes once a frame cannot fit <see cref="MaxFrameSize"/>.
    /// </summary>
    public abstract FrameStatus Decode(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame);

    /// <summary>Writes <paramref name="payload"/> as one frame.</summary>
    /// <exception cref="ArgumentException">The payload is longer than <see cref="MaxFrameSize"/>.</exception>
    public abstract void Encode(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output);

    /// <summary>No framing: each read delivers the bytes received so far, at most <paramref name="maxChunkSize"/> at a time.</summary>
    public static FrameCodec Raw(int maxChunkSize = 64 * 1024) => new RawCodec(maxChunkSize);

    /// <summary>Frames end with <c>\n</c> (a preceding <c>\r</c> is dropped too); the payload excludes the delimiter.</summary>
    public static FrameCodec LineDelimited(int maxFrameSize = 64 * 1024) => new LineCodec(maxFrameSize);

    /// <summary>Each frame is a 4-byte big-endian payload length followed by the payload.</summary>
    public static FrameCodec LengthPrefixed(int maxFrameSize = 1024 * 1024) => new LengthPrefixedCodec(maxFrameSize);

    /// <summary>Throws when a payload to send is longer than <see cref="MaxFrameSize"/>.</summary>
    protected void ThrowIfTooLarge(long payloadLength)
    {
        if (payloadLength > MaxFrameSize)
        {
            throw new ArgumentException($"The payload is {payloadLength} bytes; the codec's maximum frame size is {MaxFrameSize}.", "payload");
        }
    }

    /// <summary>Copies a sequence into a buffer writer.</summary>
    protected static void Copy(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (payload.IsSingleSegment)
        {
            output.Write(payload.FirstSpan);
            return;
        }
        foreach (var segment in payload)
        {
            output.Write(segment.Span);
        }
    }

    private sealed class RawCodec(int maxChunkSize) : FrameCodec(maxChunkSize, 0)
    {
        public override FrameStatus Decode(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
        {
            if (buffer.IsEmpty)
            {
                frame = default;
                return FrameStatus.Incomplete;
            }
            frame = buffer.Length > MaxFrameSize ? buffer.Slice(0, MaxFrameSize) : buffer;
            buffer = buffer.Slice(frame.End);
            return FrameStatus.Complete;
        }

        public override void Encode(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output) => Copy(payload, output);
    }

    private sealed class LineCodec(int maxFrameSize) : FrameCodec(maxFrameSize, 2)
    {
        public override FrameStatus Decode(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
        {
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is null)
            {
                frame = default;
                // +1: a trailing '\r' may still belong to a frame of exactly MaxFrameSize.
                return buffer.Length > MaxFrameSize + 1 ? FrameStatus.TooLarge : FrameStatus.Incomplete;
            }
            var line = buffer.Slice(0, newline.Value);
            if (line.Length > 0 && EndsWithCarriageReturn(line))
            {
                line = line.Slice(0, line.Length - 1);
            }
            if (line.Length > MaxFrameSize)
            {
                frame = default;
                return FrameStatus.TooLarge;
            }
            frame = line;
            buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
            return FrameStatus.Complete;
        }

        public override void Encode(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output)
        {
            ThrowIfTooLarge(payload.Length);
            Copy(payload, output);
            var span = output.GetSpan(1);
            span[0] = (byte)'\n';
            output.Advance(1);
        }

        private static bool EndsWithCarriageReturn(in ReadOnlySequence<byte> line)
        {
            Span<byte> last = stackalloc byte[1];
            line.Slice(line.Length - 1).CopyTo(last);
            return last[0] == (byte)'\r';
        }
    }

    private sealed class LengthPrefixedCodec(int maxFrameSize) : FrameCodec(maxFrameSize, 4)
    {
        public override FrameStatus Decode(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
        {
            frame = default;
            if (buffer.Length < 4)
            {
                return FrameStatus.Incomplete;
            }
            uint length;
            if (buffer.FirstSpan.Length >= 4)
            {
                length = BinaryPrimitives.ReadUInt32BigEndian(buffer.FirstSpan);
            }
            else
            {
                Span<byte> header = stackalloc byte[4];
                buffer.Slice(0, 4).CopyTo(header);
                length = BinaryPrimitives.ReadUInt32BigEndian(header);
            }
            // Checked before waiting for the payload: a garbage prefix must not make us buffer gigabytes.
            if (length > (uint)MaxFrameSize)
            {
                return FrameStatus.TooLarge;
            }
            if (buffer.Length - 4 < length)
            {
                return FrameStatus.Incomplete;
            }
            frame = buffer.Slice(4, length);
            buffer = buffer.Slice(frame.End);
            return FrameStatus.Complete;
        }

        public override void Encode(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output)
        {
            ThrowIfTooLarge(payload.Length);
            var header = output.GetSpan(4);
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)payload.Length);
            output.Advance(4);
            Copy(payload, output);
        }
    }
}
