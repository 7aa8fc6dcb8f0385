using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Threading;

namespace EventRouter.Reactor;

/// <summary>
/// Fixed-size, pinned blocks for the pipes of the connections of one <see cref="EventLoop"/>, recycled through a
/// lock-free queue: in steady state a connection's receives and sends allocate nothing.
/// </summary>
/// <remarks>
/// <para>
/// Without it the pipes rent from <see cref="ArrayPool{T}.Shared"/>, whose free arrays live per thread and per core
/// with a small cap. A connection rents its receive buffer on the socket's thread-pool thread and returns it on the
/// loop thread after the frame is handled, so rents and returns happen on different threads; with 100 connections in
/// flight the per-core stacks overflow on the returning side and run dry on the renting side. Profiled
/// (docs/benchmarks.md): nearly all of the echo server's hundreds of bytes per message were new 4 KiB arrays from
/// that pool. A queue does not care which thread rents or returns.
/// </para>
/// <para>
/// Blocks are pinned (allocated on the pinned object heap): sockets pin buffers for every operation, and pinned
/// long-lived arrays there do not fragment the normal heap. Free blocks beyond <see cref="MaxRetainedBlocks"/> are left
/// to the GC, so a burst does not hold its peak memory forever; what connections hold is bounded by their own limits
/// (receive pause threshold, send buffer size).
/// </para>
/// </remarks>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of every block; also the pipes' minimum segment size.</summary>
    public const int BlockSize = 4096;

    /// <summary>Free blocks kept for reuse (4 MiB of blocks per loop).</summary>
    public const int MaxRetainedBlocks = 1024;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;

    /// <inheritdoc />
    public override int MaxBufferSize => BlockSize;

    /// <inheritdoc />
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            // The pipes never ask for more than MaxBufferSize (they fall back to the shared pool); others must not.
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"Blocks are {BlockSize} bytes.");
        }
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Rented = true;
            return block;
        }
        return new Block(this);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Blocks are plain managed arrays: the GC takes them with the pool.
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _freeCount) > MaxRetainedBlocks)
        {
            Interlocked.Decrement(ref _freeCount);
            return;
        }
        _free.Enqueue(block);
    }

    /// <summary>One block; returns itself to its pool when the pipe disposes it.</summary>
    private sealed class Block(BlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public bool Rented { get; set; } = true;

        public Memory<byte> Memory => _array;

        public void Dispose()
        {
            // Idempotent: a second dispose must not put the block in the queue twice.
            if (Rented)
            {
                Rented = false;
                pool.Return(this);
            }
        }
    }
}
