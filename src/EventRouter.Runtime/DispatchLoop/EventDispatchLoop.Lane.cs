using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using EventRouter.Threading;

namespace EventRouter.DispatchLoop;

// A lane's queue. Kept apart from the loop's logic: it is the one place that knows how the bound is enforced.
public sealed partial class EventDispatchLoop
{
    /// <summary>One worker lane: its queue, its bound, and the counters only its worker writes.</summary>
    /// <remarks>
    /// In the <see cref="QueueFullMode.Wait"/> and <see cref="QueueFullMode.Reject"/> modes the lane's queue is a
    /// <see cref="BoundedQueue{T}"/>, which takes no lock per event and one locked instruction per write (a bounded
    /// <see cref="Channel{T}"/> takes a lock for every write and every read). The drop modes must take queued events out again (the oldest or the newest),
    /// which only the bounded channel does; their lanes keep it, and its <c>itemDropped</c> callback reports the drops.
    /// </remarks>
    private sealed class Lane
    {
        // Drop modes: a bounded channel. Otherwise the lane's own queue.
        private readonly Channel<Envelope>? _channel;
        private readonly BoundedQueue<Envelope>? _queue;

        public LaneCounters Counters;

        public Lane(int capacity, QueueFullMode mode, Action<Envelope> itemDropped)
        {
            if (mode is QueueFullMode.Wait or QueueFullMode.Reject)
            {
                _queue = new BoundedQueue<Envelope>(capacity, singleReader: true); // the lane's worker, or the stop before any worker started
                return;
            }
            _channel = Channel.CreateBounded(
                new BoundedChannelOptions(capacity)
                {
                    FullMode = mode switch
                    {
                        QueueFullMode.DropOldest => BoundedChannelFullMode.DropOldest,
                        QueueFullMode.DropNewest => BoundedChannelFullMode.DropNewest,
                        _ => BoundedChannelFullMode.DropWrite,
                    },
                    SingleReader = true,
                    SingleWriter = false,
                },
                itemDropped);
        }

        /// <summary>
        /// Events this lane has taken so far (queued, or read by the worker), when it keeps its own bound; 0 for a
        /// drop-mode lane, whose events the loop counts. An event being read is seen twice at worst, never missed
        /// (see <see cref="BoundedQueue{T}.Written"/>).
        /// </summary>
        public long Accepted => _queue is null ? 0 : _queue.Written;

        /// <summary>Events in the queue (and, for a moment, slots reserved by producers about to write).</summary>
        public int Count => _queue is null ? _channel!.Reader.Count : _queue.Count;

        /// <summary>
        /// Queues the event if there is room and no producer is waiting for it. In a drop mode it always succeeds
        /// (the channel discards and reports an event) unless the lane is completed.
        /// </summary>
        public bool TryWrite(in Envelope envelope) => _queue is null ? _channel!.Writer.TryWrite(envelope) : _queue.TryWrite(in envelope);

        /// <summary>
        /// Queues the event, waiting for room. Fails with <see cref="ChannelClosedException"/> when the lane is
        /// completed first, and with <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/>
        /// fires first.
        /// </summary>
        public ValueTask WriteAsync(Envelope envelope, CancellationToken cancellationToken) =>
            _queue is null ? _channel!.Writer.WriteAsync(envelope, cancellationToken) : _queue.WriteAsync(envelope, cancellationToken);

        /// <summary>Takes the next event (worker only) and gives its slot back, to the first waiting producer if any.</summary>
        public bool TryRead(out Envelope envelope) => _queue is null ? _channel!.Reader.TryRead(out envelope) : _queue.TryRead(out envelope);

        /// <summary>Completes with true when an event can be read, false when the lane is completed and empty (worker only).</summary>
        public ValueTask<bool> WaitToReadAsync() => _queue is null ? _channel!.Reader.WaitToReadAsync() : _queue.WaitToReadAsync();

        /// <summary>No more writes: waiting producers fail with <see cref="ChannelClosedException"/>; the worker reads what is queued, then stops.</summary>
        public void Complete()
        {
            if (_queue is null)
            {
                _channel!.Writer.TryComplete();
                return;
            }
            _queue.Complete();
        }
    }

    /// <summary>
    /// Outcome counters of one lane. Padded to their own cache lines: a worker bumps them for every event, and
    /// sharing a line with producer-written fields (or another lane's counters) would make every increment a cache miss.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct LaneCounters
    {
        [FieldOffset(64)] public long Handled;
        [FieldOffset(72)] public long DeadLettered;
        [FieldOffset(80)] public long Returned;
        [FieldOffset(88)] public long Retries;
        [FieldOffset(96)] public long Deduplicated;

        /// <summary>
        /// Bumps a counter of this lane. Only the lane's worker writes them (one delivery at a time; before the
        /// workers start, only the stop), so a plain write that readers see whole is enough: no locked instruction
        /// per event.
        /// </summary>
        public static void Increment(ref long counter) => Volatile.Write(ref counter, counter + 1);
    }
}
