using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace EventRouter.Threading;

/// <summary>
/// A bounded multi-producer queue with one waiting reader: the queue of a dispatch-loop lane and of a module server.
/// </summary>
/// <remarks>
/// <para>
/// A bounded <see cref="Channel{T}"/> takes one lock for every write and every read, so a producer and the reader
/// pass that lock's cache line back and forth twice per item. This queue is a ring of exactly <c>capacity</c> slots,
/// each with a sequence number (D. Vyukov's bounded queue): a producer claims the next position with one
/// compare-exchange on the tail, writes its item and publishes it through the slot's sequence; the reader sees the
/// sequence, takes the item and frees the slot by advancing the sequence one lap. The slot's sequence is also the
/// bound: a producer that finds the slot still holding the previous lap's item knows the queue is full, without
/// reading the reader's position. A single reader takes items with plain reads and writes, no locked instruction;
/// a queue created for several readers advances the head with a compare-exchange instead. The profile behind this
/// is in docs/benchmarks.md.
/// </para>
/// <para>
/// A position packs the slot index (low 32 bits) and the lap (31 bits), so no division maps it to a slot; the
/// tail's top bit marks completion. A producer's compare-exchange fails once that bit is set, so a producer either
/// claimed its position before completion, and the reader reads up to it, or sees completion and fails.
/// </para>
/// <para>
/// The reader parks only when the tail equals its head, after raising <c>ReaderWaiting</c> (a full fence) and
/// reading the tail again; a producer's compare-exchange is a full fence, after which it reads the flag. So either
/// the reader sees the claimed position and does not park, or the producer sees the flag and wakes it: no wake-up is
/// lost, and a producer pays for one only when the reader really sleeps.
/// </para>
/// <para>
/// Producers that wait for room queue up under a lock, first come first served. When a slot frees, the reader moves
/// the first waiter's item into the queue itself (as <see cref="BoundedChannelFullMode.Wait"/> does), so a waiting
/// producer is never overtaken by a later <see cref="TryWrite"/> and its item keeps its place. The reader reads the
/// waiting flag after freeing a slot with no fence between (that would be a locked instruction per item), so it may
/// read it a moment late; it reads it again after every later item and, behind a full fence, before it parks, so a
/// waiter is released at the latest when the reader next reads or parks, never lost.
/// </para>
/// <para>
/// One reader waits (<see cref="WaitToReadAsync"/>). A queue created with <c>singleReader: false</c> lets others
/// take items with <see cref="TryRead"/> at any time (a module's immediate stop drains the queue while its loop may
/// still be reading); a single-reader queue must only ever be read by one thread at a time.
/// </para>
/// </remarks>
/// <typeparam name="T">The item.</typeparam>
internal sealed class BoundedQueue<T>
{
    private const long CompletedBit = long.MinValue;
    private const long LapMask = 0x7FFF_FFFF_0000_0000;
    private const long OneLap = 1L << 32;

    private readonly int _capacity;
    private readonly bool _singleReader;
    private readonly Slot[] _slots;
    private readonly ReaderSignal _signal = new();

    // Waiting producers and completion. Never taken on the fast path.
    private readonly object _gate = new();
    private Waiter? _first;
    private Waiter? _last;

    // Outside the class: a generic type cannot have an explicit layout.
    private BoundedQueueTail _tail;
    private BoundedQueueFlags _flags;
    private BoundedQueueHead _head;

    /// <summary>Creates a queue of <paramref name="capacity"/> slots.</summary>
    /// <param name="capacity">The bound; at least 1.</param>
    /// <param name="singleReader">True when only one thread ever reads at a time: reads then take no locked instruction, and <see cref="Written"/> is kept.</param>
    /// <param name="firstLap">The lap the queue starts on; tests pass one just below the wrap of the 31-bit lap.</param>
    public BoundedQueue(int capacity, bool singleReader, int firstLap = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(firstLap);
        _capacity = capacity;
        _singleReader = singleReader;
        _slots = new Slot[capacity];
        _head.Position = _tail.Position = (long)firstLap << 32;
        var free = SequenceOf(_tail.Position);
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i].Sequence = free;
        }
    }

    private enum WriteResult
    {
        Written,
        Full,
        Completed,
    }

    /// <summary>Items in the queue (and, for a moment, positions claimed by producers about to write).</summary>
    public int Count => (int)Math.Clamp(Distance(Volatile.Read(ref _head.Position), Volatile.Read(ref _tail.Position) & ~CompletedBit), 0, _capacity);

    /// <summary>
    /// Items written so far (read, queued, or claimed by a producer about to write); kept by a single-reader queue
    /// only. An item being read may be counted twice for a moment, but one written before this call is never missed.
    /// </summary>
    public long Written
    {
        get
        {
            // Head, then tail, then the read count: the reader counts an item before it moves the head, so the count
            // read last covers every position below the head read first, and head..tail covers the rest.
            var head = Volatile.Read(ref _head.Position);
            var tail = Volatile.Read(ref _tail.Position) & ~CompletedBit;
            return Distance(head, tail) + Volatile.Read(ref _head.Dequeued);
        }
    }

    /// <summary>True once the queue was completed.</summary>
    public bool IsCompleted => Volatile.Read(ref _tail.Position) < 0;

    /// <summary>Queues the item if there is room, no producer is waiting for it and the queue is not completed.</summary>
    public bool TryWrite(in T item) =>
        Volatile.Read(ref _flags.Waiting) == 0 && TryEnqueue(in item) == WriteResult.Written;

    /// <summary>
    /// Queues the item, waiting for room. Fails with <see cref="ChannelClosedException"/> when the queue is completed
    /// first, and with <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first.
    /// </summary>
    public ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        Waiter waiter;
        Waiter? released;
        lock (_gate)
        {
            if (_first is null)
            {
                // Completion is set under this lock, so a Completed result here means it came first.
                switch (TryEnqueue(in item))
                {
                    case WriteResult.Written:
                        return default;
                    case WriteResult.Completed:
                        return ValueTask.FromException(new ChannelClosedException());
                }
            }
            else if (IsCompleted)
            {
                return ValueTask.FromException(new ChannelClosedException());
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            waiter = new Waiter(this, item, cancellationToken);
            if (_last is null)
            {
                _first = waiter;
            }
            else
            {
                _last.Next = waiter;
            }
            _last = waiter;
            // Registered under the lock so that the reader, which releases waiters under it, always sees the
            // registration to dispose. A token cancelled meanwhile runs Cancel inline: the lock is reentrant, and
            // the waiter's continuations are asynchronous.
            waiter.Registration = cancellationToken.UnsafeRegister(static s => ((Waiter)s!).Cancel(), waiter);

            // A full fence, then the re-check: either this sees the slot the reader freed, or the reader sees Waiting
            // (at its next read, or behind its own fence before it parks: see the remarks).
            Interlocked.Exchange(ref _flags.Waiting, 1);
            released = ReleaseLocked();
        }
        CompleteReleased(released);
        return new ValueTask(waiter.Task);
    }

    /// <summary>Takes the next item and gives its slot back, to the first waiting producer if any.</summary>
    public bool TryRead(out T item)
    {
        if (!_singleReader)
        {
            return TryReadShared(out item);
        }
        var head = _head.Position; // only this reader writes it
        ref var slot = ref SlotAt(head);
        var filled = SequenceOf(head) + 1;
        if (Volatile.Read(ref slot.Sequence) != filled)
        {
            item = default!;
            return false; // empty, or a producer claimed the position and is about to write
        }
        item = slot.Item;
        slot.Item = default!;
        // Before the slot is freed and the head moves: see Written. Only this reader writes the count, so a plain
        // write that others see whole is enough.
        Volatile.Write(ref _head.Dequeued, _head.Dequeued + 1);
        Volatile.Write(ref slot.Sequence, filled + 1); // free for the next lap
        Volatile.Write(ref _head.Position, Next(head));
        if (Volatile.Read(ref _flags.Waiting) != 0)
        {
            ReleaseWaiters();
        }
        return true;
    }

    /// <summary>
    /// Completes with true when an item can be read (after a wake-up, may be: the reader then looks again), false
    /// when the queue is completed and empty. One reader at a time. Allocates nothing: the reader parks on a reusable
    /// signal.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        var spin = default(SpinWait);
        while (true)
        {
            var head = Volatile.Read(ref _head.Position);
            if (Volatile.Read(ref SlotAt(head).Sequence) == SequenceOf(head) + 1)
            {
                return new ValueTask<bool>(true);
            }
            var tail = Volatile.Read(ref _tail.Position);
            if ((tail & ~CompletedBit) != head)
            {
                // A producer claimed a position and is about to write it (or another reader just took the item).
                spin.SpinOnce();
                continue;
            }
            if (tail < 0)
            {
                // Completed and empty: producers fail once the tail is marked, so nothing more comes.
                return new ValueTask<bool>(false);
            }

            _signal.Reset();
            Interlocked.Exchange(ref _tail.ReaderWaiting, 1);
            var waiting = Volatile.Read(ref _flags.Waiting) != 0;
            if (waiting || Volatile.Read(ref _tail.Position) != tail)
            {
                if (Interlocked.Exchange(ref _tail.ReaderWaiting, 0) == 1)
                {
                    // Took the flag back: nobody will signal. A waiting producer this reader's last read did not see
                    // (see the remarks) is released here, behind the fence above.
                    if (waiting)
                    {
                        ReleaseWaiters();
                    }
                    continue;
                }
                // A producer (or the completion) took the flag and is signalling: consume that signal.
            }
            return _signal.WaitAsync();
        }
    }

    /// <summary>No more writes: waiting producers fail with <see cref="ChannelClosedException"/>; the reader reads what is queued, then stops.</summary>
    /// <returns>False when the queue was already completed.</returns>
    public bool Complete()
    {
        Waiter? waiters;
        lock (_gate)
        {
            if (Interlocked.Or(ref _tail.Position, CompletedBit) < 0)
            {
                return false;
            }
            waiters = _first;
            _first = _last = null;
            Volatile.Write(ref _flags.Waiting, 0);
        }
        WakeReader();
        // Outside the lock: disposing a registration waits for a cancellation callback that may be running, and
        // that callback takes the lock.
        for (var w = waiters; w is not null; w = w.Next)
        {
            w.Registration.Dispose();
            w.TrySetException(new ChannelClosedException());
        }
        return true;
    }

    /// <summary>The lap sequence a slot holds while free for the position's lap; one more once that position is written.</summary>
    private static int SequenceOf(long position) => (int)((uint)(position >> 32) << 1);

    /// <summary>The position after <paramref name="position"/>: the next slot, or slot 0 of the next lap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Next(long position) =>
        (int)position + 1 < _capacity ? position + 1 : ((position & LapMask) + OneLap) & LapMask;

    /// <summary>Positions from <paramref name="head"/> to <paramref name="tail"/> (neither marked completed).</summary>
    private long Distance(long head, long tail)
    {
        // The lap difference, sign-extended from 31 bits: laps wrap, positions a few laps apart do not.
        var laps = (int)((tail >> 32) - (head >> 32)) << 1 >> 1;
        return (long)laps * _capacity + (int)tail - (int)head;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Slot SlotAt(long position) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (int)position); // the index is below the capacity by construction

    /// <summary>Claims the next position and writes the item there, or reports full or completed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private WriteResult TryEnqueue(in T item)
    {
        var tail = Volatile.Read(ref _tail.Position);
        while (tail >= 0)
        {
            ref var slot = ref SlotAt(tail);
            var free = SequenceOf(tail);
            var lag = Volatile.Read(ref slot.Sequence) - free;
            if (lag == 0)
            {
                var seen = Interlocked.CompareExchange(ref _tail.Position, Next(tail), tail);
                if (seen == tail)
                {
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, free + 1);
                    // The compare-exchange was a full fence: a reader that raised the flag before it is seen here.
                    if (Volatile.Read(ref _tail.ReaderWaiting) != 0)
                    {
                        WakeReader();
                    }
                    return WriteResult.Written;
                }
                tail = seen;
            }
            else if (lag < 0)
            {
                // The slot still holds the previous lap's item: capacity items are queued.
                return WriteResult.Full;
            }
            else
            {
                tail = Volatile.Read(ref _tail.Position); // another producer took this position
            }
        }
        return WriteResult.Completed;
    }

    /// <summary>The read of a queue with several readers: the head moves by compare-exchange.</summary>
    private bool TryReadShared(out T item)
    {
        var head = Volatile.Read(ref _head.Position);
        while (true)
        {
            ref var slot = ref SlotAt(head);
            var filled = SequenceOf(head) + 1;
            var lag = Volatile.Read(ref slot.Sequence) - filled;
            if (lag == 0)
            {
                var seen = Interlocked.CompareExchange(ref _head.Position, Next(head), head);
                if (seen == head)
                {
                    item = slot.Item;
                    slot.Item = default!;
                    // The compare-exchange is a full fence, but it comes before the slot is freed: see the remarks.
                    Volatile.Write(ref slot.Sequence, filled + 1);
                    if (Volatile.Read(ref _flags.Waiting) != 0)
                    {
                        ReleaseWaiters();
                    }
                    return true;
                }
                head = seen;
            }
            else if (lag < 0)
            {
                item = default!;
                return false; // empty, or a producer claimed the position and is about to write
            }
            else
            {
                head = Volatile.Read(ref _head.Position); // another reader took this item
            }
        }
    }

    private void WakeReader()
    {
        if (Interlocked.Exchange(ref _tail.ReaderWaiting, 0) == 1)
        {
            _signal.Set();
        }
    }

    private void ReleaseWaiters()
    {
        Waiter? released;
        lock (_gate)
        {
            released = ReleaseLocked();
        }
        CompleteReleased(released);
    }

    /// <summary>Moves waiters' items into the queue while there is room; returns them, chained, to be completed outside the lock.</summary>
    private Waiter? ReleaseLocked()
    {
        Waiter? released = null;
        Waiter? releasedLast = null;
        while (_first is { } waiter && TryEnqueue(waiter.Item) == WriteResult.Written)
        {
            _first = waiter.Next;
            if (_first is null)
            {
                _last = null;
            }
            waiter.Next = null;
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
            Volatile.Write(ref _flags.Waiting, 0);
        }
        return released;
    }

    private static void CompleteReleased(Waiter? released)
    {
        while (released is not null)
        {
            var next = released.Next;
            released.Registration.Dispose();
            released.TrySetResult();
            released = next;
        }
    }

    /// <summary>Removes a waiter that is still queued (cancellation); false when the reader already took its item.</summary>
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
                Volatile.Write(ref _flags.Waiting, 0);
            }
            return true;
        }
        return false;
    }

    /// <summary>One slot of the ring: the item, and the lap sequence that says whether it is free or written.</summary>
    private struct Slot
    {
        public int Sequence;
        public T Item;
    }

    /// <summary>A producer waiting for room; allocated only on that slow path.</summary>
    private sealed class Waiter : TaskCompletionSource
    {
        private readonly BoundedQueue<T> _owner;
        private readonly CancellationToken _token;

        public Waiter(BoundedQueue<T> owner, T item, CancellationToken token)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _token = token;
            Item = item;
        }

        public T Item { get; }

        /// <summary>The next waiter in the queue's list, then in a released chain. Guarded by the queue's lock.</summary>
        public Waiter? Next { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel()
        {
            bool removed;
            lock (_owner._gate)
            {
                removed = _owner.Unlink(this);
            }
            if (removed)
            {
                TrySetCanceled(_token);
            }
        }
    }

    /// <summary>
    /// The parked reader's wake-up: one per queue, reused, so parking allocates nothing. Completed from a thread-pool
    /// work item (itself, also without allocating), so the producer that wakes the reader never runs its code.
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
/// A <see cref="BoundedQueue{T}"/>'s tail, which producers claim positions on, and the parked reader's flag, which a
/// producer reads right after its claim: on one cache line that producers own, away from the reader's head.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct BoundedQueueTail
{
    [FieldOffset(64)] public long Position;
    [FieldOffset(72)] public int ReaderWaiting;
}

/// <summary>
/// A <see cref="BoundedQueue{T}"/>'s waiting-producers flag: read by producers and the reader for every item,
/// written only on the slow path, so on a line of its own that stays shared in both caches.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct BoundedQueueFlags
{
    [FieldOffset(64)] public int Waiting;
}

/// <summary>A <see cref="BoundedQueue{T}"/> reader's head and count of items read, on their own cache line: the reader writes them for every item.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct BoundedQueueHead
{
    [FieldOffset(64)] public long Position;
    [FieldOffset(72)] public long Dequeued;
}
