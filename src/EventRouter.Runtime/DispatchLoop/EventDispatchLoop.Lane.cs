using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace EventRouter.DispatchLoop;

// A lane's queue. Kept apart from the loop's logic: it is the one place that knows how the bound is enforced.
public sealed partial class EventDispatchLoop
{
    /// <summary>One worker lane: its queue, its bound, and the counters only its worker writes.</summary>
    /// <remarks>
    /// <para>
    /// A bounded <see cref="Channel{T}"/> takes one lock for every write and every read, so a producer and the worker
    /// pass that lock's cache line back and forth twice per event, and an unbounded one still locks every write. In the
    /// <see cref="QueueFullMode.Wait"/> and <see cref="QueueFullMode.Reject"/> modes the lane therefore is its own
    /// queue: a lock-free <see cref="ConcurrentQueue{T}"/>, a slot count that a producer reserves with one
    /// compare-exchange and the worker gives back after each read, and a reusable signal for a parked worker. The
    /// profile behind this is in docs/benchmarks.md.
    /// </para>
    /// <para>
    /// The worker parks only when the count is zero, after raising <c>ReaderWaiting</c>; a producer's reservation is a
    /// full fence, after which it reads the flag. So either the worker sees the reservation and does not park, or the
    /// producer sees the flag and wakes it: no wake-up is lost, and a producer pays for one only when the worker
    /// really sleeps. Completion works the same way: a producer that reserved before the stop is counted, and the
    /// worker reads until the count is zero.
    /// </para>
    /// <para>
    /// Producers that wait for room queue up under a lock, first come first served. When a slot frees, the worker
    /// moves the first waiter's event into the queue itself (as <see cref="BoundedChannelFullMode.Wait"/> does), so a
    /// waiting producer is never overtaken by a later <c>TryEnqueue</c> and its event keeps its place.
    /// </para>
    /// <para>
    /// The drop modes must take queued events out again (the oldest or the newest), which only the bounded channel
    /// does; their lanes keep it, and its <c>itemDropped</c> callback reports the drops.
    /// </para>
    /// </remarks>
    private sealed class Lane
    {
        private readonly int _capacity;

        // Drop modes: a bounded channel. Otherwise the lane's own queue and signal.
        private readonly Channel<Envelope>? _channel;
        private readonly ConcurrentQueue<Envelope>? _queue;
        private readonly ReaderSignal? _signal;

        // Waiting producers and completion. Never taken on the fast path.
        private readonly object _gate = new();
        private Waiter? _first;
        private Waiter? _last;

        private SharedCounts _shared;

        public LaneCounters Counters;

        public Lane(int capacity, QueueFullMode mode, Action<Envelope> itemDropped)
        {
            _capacity = capacity;
            if (mode is QueueFullMode.Wait or QueueFullMode.Reject)
            {
                _queue = new ConcurrentQueue<Envelope>();
                _signal = new ReaderSignal();
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
        /// drop-mode lane, whose events the loop counts. The worker counts a read before it frees the slot, and this
        /// reads the slots first: an event being read is seen twice at worst, never missed.
        /// </summary>
        public long Accepted => _queue is null ? 0 : Volatile.Read(ref _shared.Count) + Interlocked.Read(ref Counters.Dequeued);

        /// <summary>Events in the queue (and, for a moment, slots reserved by producers about to write).</summary>
        public int Count => _queue is null ? _channel!.Reader.Count : Volatile.Read(ref _shared.Count);

        /// <summary>
        /// Queues the event if there is room and no producer is waiting for it. In a drop mode it always succeeds
        /// (the channel discards and reports an event) unless the lane is completed.
        /// </summary>
        public bool TryWrite(in Envelope envelope)
        {
            if (_queue is null)
            {
                return _channel!.Writer.TryWrite(envelope);
            }
            if (Volatile.Read(ref _shared.Waiting) != 0 || !TryReserve())
            {
                return false;
            }
            // The reservation was a full fence: a completion or a parked worker that came before it is seen here.
            if (Volatile.Read(ref _shared.Completed) != 0)
            {
                Interlocked.Decrement(ref _shared.Count);
                return false;
            }
            _queue.Enqueue(envelope);
            if (Volatile.Read(ref _shared.ReaderWaiting) != 0)
            {
                WakeReader();
            }
            return true;
        }

        /// <summary>
        /// Queues the event, waiting for room. Fails with <see cref="ChannelClosedException"/> when the lane is completed
        /// first, and with <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first.
        /// </summary>
        public ValueTask WriteAsync(Envelope envelope, CancellationToken cancellationToken)
        {
            if (_queue is null)
            {
                return _channel!.Writer.WriteAsync(envelope, cancellationToken);
            }

            Waiter waiter;
            Waiter? released;
            lock (_gate)
            {
                if (_shared.Completed != 0)
                {
                    return ValueTask.FromException(new ChannelClosedException());
                }
                if (_first is null && TryReserve())
                {
                    // Completion is set under this lock, so it cannot come between the check above and this write.
                    _queue.Enqueue(envelope);
                    if (Volatile.Read(ref _shared.ReaderWaiting) != 0)
                    {
                        WakeReader();
                    }
                    return default;
                }
                if (cancellationToken.IsCancellationRequested)
                {
                    return ValueTask.FromCanceled(cancellationToken);
                }

                waiter = new Waiter(this, envelope, cancellationToken);
                if (_last is null)
                {
                    _first = waiter;
                }
                else
                {
                    _last.Next = waiter;
                }
                _last = waiter;
                // Registered under the lock so that the worker, which releases waiters under it, always sees the
                // registration to dispose. A token cancelled meanwhile runs Cancel inline: the lock is reentrant, and
                // the waiter's continuations are asynchronous.
                waiter.Registration = cancellationToken.UnsafeRegister(static s => ((Waiter)s!).Cancel(), waiter);

                // A full fence, then the re-check: either the worker's read sees Waiting, or this sees its freed slot.
                Interlocked.Exchange(ref _shared.Waiting, 1);
                released = ReleaseLocked();
            }
            Complete(released);
            return new ValueTask(waiter.Task);
        }

        /// <summary>Takes the next event (worker only) and gives its slot back, to the first waiting producer if any.</summary>
        public bool TryRead(out Envelope envelope)
        {
            if (_queue is null)
            {
                return _channel!.Reader.TryRead(out envelope);
            }
            if (!_queue.TryDequeue(out envelope))
            {
                return false;
            }
            LaneCounters.Increment(ref Counters.Dequeued); // before the slot is freed: see Accepted
            // Interlocked: a full fence, so the read of Waiting below cannot move above the freed slot (the other half
            // of the handshake in WriteAsync).
            Interlocked.Decrement(ref _shared.Count);
            if (Volatile.Read(ref _shared.Waiting) != 0)
            {
                ReleaseWaiters();
            }
            return true;
        }

        /// <summary>
        /// Completes with true when an event can be read, false when the lane is completed and empty (worker only).
        /// Allocates nothing: the worker parks on a reusable signal.
        /// </summary>
        public ValueTask<bool> WaitToReadAsync()
        {
            if (_queue is null)
            {
                return _channel!.Reader.WaitToReadAsync();
            }
            var spin = default(SpinWait);
            while (true)
            {
                if (!_queue.IsEmpty)
                {
                    return new ValueTask<bool>(true);
                }
                if (Volatile.Read(ref _shared.Count) > 0)
                {
                    // A producer reserved a slot and is about to enqueue: wait for it rather than park.
                    spin.SpinOnce();
                    continue;
                }
                if (Volatile.Read(ref _shared.Completed) != 0)
                {
                    // Producers check completion after reserving, so once the count is zero here nothing more comes.
                    return new ValueTask<bool>(Volatile.Read(ref _shared.Count) > 0);
                }

                _signal!.Reset();
                Interlocked.Exchange(ref _shared.ReaderWaiting, 1);
                if (Volatile.Read(ref _shared.Count) > 0 || Volatile.Read(ref _shared.Completed) != 0)
                {
                    if (Interlocked.Exchange(ref _shared.ReaderWaiting, 0) == 1)
                    {
                        continue; // took the flag back: nobody will signal
                    }
                    // A producer (or the stop) took the flag and is signalling: consume that signal.
                }
                return _signal.WaitAsync();
            }
        }

        /// <summary>No more writes: waiting producers fail with <see cref="ChannelClosedException"/>; the worker reads what is queued, then stops.</summary>
        public void Complete()
        {
            if (_queue is null)
            {
                _channel!.Writer.TryComplete();
                return;
            }
            Waiter? waiters;
            lock (_gate)
            {
                Interlocked.Exchange(ref _shared.Completed, 1);
                waiters = _first;
                _first = _last = null;
                Volatile.Write(ref _shared.Waiting, 0);
            }
            WakeReader();
            // Outside the lock: disposing a registration waits for a cancellation callback that may be running, and
            // that callback takes the lock.
            for (var w = waiters; w is not null; w = w.Next)
            {
                w.Registration.Dispose();
                w.TrySetException(new ChannelClosedException());
            }
        }

        private void WakeReader()
        {
            if (Interlocked.Exchange(ref _shared.ReaderWaiting, 0) == 1)
            {
                _signal!.Set();
            }
        }

        private bool TryReserve()
        {
            var count = Volatile.Read(ref _shared.Count);
            while (count < _capacity)
            {
                var seen = Interlocked.CompareExchange(ref _shared.Count, count + 1, count);
                if (seen == count)
                {
                    return true;
                }
                count = seen;
            }
            return false;
        }

        private void ReleaseWaiters()
        {
            Waiter? released;
            lock (_gate)
            {
                released = ReleaseLocked();
            }
            Complete(released);
        }

        /// <summary>Moves waiters' events into the queue while there is room; returns them, chained, to be completed outside the lock.</summary>
        private Waiter? ReleaseLocked()
        {
            Waiter? released = null;
            Waiter? releasedLast = null;
            while (_shared.Completed == 0 && _first is { } waiter && TryReserve())
            {
                _first = waiter.Next;
                if (_first is null)
                {
                    _last = null;
                }
                waiter.Next = null;
                _queue!.Enqueue(waiter.Envelope);
                if (releasedLast is null)
                {
                    released = waiter;
                }
                else
                {
                    releasedLast.Next = waiter;
                }
                releasedLast = waiter;
            }
            if (_first is null)
            {
                Volatile.Write(ref _shared.Waiting, 0);
            }
            if (released is not null && Volatile.Read(ref _shared.ReaderWaiting) != 0)
            {
                WakeReader(); // a waiter released by WriteAsync's re-check, while the worker is parked
            }
            return released;
        }

        private static void Complete(Waiter? released)
        {
            while (released is not null)
            {
                var next = released.Next;
                released.Registration.Dispose();
                released.TrySetResult();
                released = next;
            }
        }

        /// <summary>Removes a waiter that is still queued (cancellation); false when the worker already took its event.</summary>
        private bool Unlink(Waiter waiter)
        {
            Waiter? previous = null;
            for (var w = _first; w is not null; previous = w, w = w.Next)
            {
                if (!ReferenceEquals(w, waiter))
                {
                    continue;
                }
                if (previous is null)
                {
                    _first = w.Next;
                }
                else
                {
                    previous.Next = w.Next;
                }
                if (ReferenceEquals(_last, w))
                {
                    _last = previous;
                }
                if (_first is null)
                {
                    Volatile.Write(ref _shared.Waiting, 0);
                }
                return true;
            }
            return false;
        }

        /// <summary>A producer waiting for room; allocated only on that slow path.</summary>
        private sealed class Waiter : TaskCompletionSource
        {
            private readonly Lane _lane;
            private readonly CancellationToken _token;

            public Waiter(Lane lane, Envelope envelope, CancellationToken token)
                : base(TaskCreationOptions.RunContinuationsAsynchronously)
            {
                _lane = lane;
                _token = token;
                Envelope = envelope;
            }

            public Envelope Envelope { get; }

            /// <summary>The next waiter in the lane's queue, then in a released chain. Guarded by the lane's lock.</summary>
            public Waiter? Next { get; set; }

            public CancellationTokenRegistration Registration { get; set; }

            public void Cancel()
            {
                bool removed;
                lock (_lane._gate)
                {
                    removed = _lane.Unlink(this);
                }
                if (removed)
                {
                    TrySetCanceled(_token);
                }
            }
        }

        /// <summary>
        /// The parked worker's wake-up: one per lane, reused, so parking allocates nothing. Completed from a thread-pool
        /// work item (itself, also without allocating), so the producer that wakes the worker never runs its code.
        /// </summary>
        private sealed class ReaderSignal : IValueTaskSource<bool>, IThreadPoolWorkItem
        {
            private ManualResetValueTaskSourceCore<bool> _core;

            public void Reset() => _core.Reset();

            public ValueTask<bool> WaitAsync() => new(this, _core.Version);

            public void Set() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

            void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

            public bool GetResult(short token) => _core.GetResult(token);

            public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

            public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
                _core.OnCompleted(continuation, state, token, flags);
        }
    }

    /// <summary>
    /// What producers and the worker both touch — the slot count and the flags for waiting producers, a parked
    /// worker and completion — on their own cache line, away from the worker-only counters.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct SharedCounts
    {
        [FieldOffset(64)] public int Count;
        [FieldOffset(68)] public int Waiting;
        [FieldOffset(72)] public int ReaderWaiting;
        [FieldOffset(76)] public int Completed;
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
        [FieldOffset(104)] public long Dequeued; // self-bounded lanes: events read, part of Accepted

        /// <summary>
        /// Bumps a counter of this lane. Only the lane's worker writes them (one delivery at a time; before the
        /// workers start, only the stop), so a plain write that readers see whole is enough: no locked instruction
        /// per event.
        /// </summary>
        public static void Increment(ref long counter) => Volatile.Write(ref counter, counter + 1);
    }
}
