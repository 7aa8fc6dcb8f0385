using System;
using System.Buffers;
using System.Linq;
using System.Text;
using EventRouter.Reactor;

namespace EventRouter.Tests.Reactor;

public sealed class FrameCodecTests
{
    /// <summary>Builds a sequence with one segment per piece, so headers and delimiters can straddle segments.</summary>
    private static ReadOnlySequence<byte> Segmented(params byte[][] pieces)
    {
        var first = new Segment(pieces[0], 0);
        var last = first;
        foreach (var piece in pieces.Skip(1))
        {
            last = last.Append(piece);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Fact]
    public void LengthPrefixed_HeaderSplitAcrossSegments_DecodesFrame()
    {
        var codec = FrameCodec.LengthPrefixed();
        var buffer = Segmented(new byte[] { 0, 0 }, new byte[] { 0, 3, (byte)'a' }, new byte[] { (byte)'b', (byte)'c', 9 });

        Assert.Equal(FrameStatus.Complete, codec.Decode(ref buffer, out var frame));
        Assert.Equal("abc", Encoding.ASCII.GetString(frame.ToArray()));
        Assert.Equal(new byte[] { 9 }, buffer.ToArray());
    }

    [Fact]
    public void LengthPrefixed_PartialPayload_IncompleteAndBufferUnchanged()
    {
        var codec = FrameCodec.LengthPrefixed();
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 5, 1, 2 });

        Assert.Equal(FrameStatus.Incomplete, codec.Decode(ref buffer, out _));
        Assert.Equal(6, buffer.Length);
    }

    [Fact]
    public void LengthPrefixed_PrefixAboveMax_TooLargeWithoutPayload()
    {
        var codec = FrameCodec.LengthPrefixed(maxFrameSize: 10);
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 11 });

        Assert.Equal(FrameStatus.TooLarge, codec.Decode(ref buffer, out _));
    }

    [Fact]
    public void LengthPrefixed_EncodeThenDecode_RoundTrips()
    {
        var codec = FrameCodec.LengthPrefixed();
        var output = new ArrayBufferWriter<byte>();
        codec.Encode(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("hello")), output);
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);

        Assert.Equal(new byte[] { 0, 0, 0, 5 }, output.WrittenSpan[..4].ToArray());
        Assert.Equal(FrameStatus.Complete, codec.Decode(ref buffer, out var frame));
        Assert.Equal("hello", Encoding.ASCII.GetString(frame.ToArray()));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void LineDelimited_CrLfAcrossSegments_StripsBoth()
    {
        var codec = FrameCodec.LineDelimited();
        var buffer = Segmented(Encoding.ASCII.GetBytes("ab\r"), Encoding.ASCII.GetBytes("\ncd"));

        Assert.Equal(FrameStatus.Complete, codec.Decode(ref buffer, out var frame));
        Assert.Equal("ab", Encoding.ASCII.GetString(frame.ToArray()));
        Assert.Equal("cd", Encoding.ASCII.GetString(buffer.ToArray()));
        Assert.Equal(FrameStatus.Incomplete, codec.Decode(ref buffer, out _));
    }

    [Fact]
    public void LineDelimited_LineOfExactlyMax_Complete_OneMore_TooLarge()
    {
        var codec = FrameCodec.LineDelimited(maxFrameSize: 4);
        var exact = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("abcd\r\n"));
        var over = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("abcde\n"));

        Assert.Equal(FrameStatus.Complete, codec.Decode(ref exact, out var frame));
        Assert.Equal(4, frame.Length);
        Assert.Equal(FrameStatus.TooLarge, codec.Decode(ref over, out _));
    }

    [Fact]
    public void LineDelimited_EncodePayloadOverMax_Throws()
    {
        var codec = FrameCodec.LineDelimited(maxFrameSize: 2);
        Assert.Throws<ArgumentException>(() => codec.Encode(new ReadOnlySequence<byte>(new byte[3]), new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void Raw_BufferLargerThanChunk_SplitsIntoChunks()
    {
        var codec = FrameCodec.Raw(maxChunkSize: 4);
        var buffer = new ReadOnlySequence<byte>(new byte[10]);

        Assert.Equal(FrameStatus.Complete, codec.Decode(ref buffer, out var a));
        Assert.Equal(FrameStatus.Complete, codec.Decode(ref buffer, out var b));
        Assert.Equal(FrameStatus.Complete, codec.Decode(ref buffer, out var c));
        Assert.Equal(FrameStatus.Incomplete, codec.Decode(ref buffer, out _));
        Assert.Equal(new long[] { 4, 4, 2 }, new[] { a.Length, b.Length, c.Length });
    }

    [Fact]
    public void Factories_NonPositiveMax_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameCodec.LengthPrefixed(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameCodec.LineDelimited(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameCodec.Raw(0));
    }
}
