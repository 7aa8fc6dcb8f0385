using System;
using System.Collections.Concurrent;
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
/// pass that lock's cache line back and forth twice per item, and an unbounded one still locks every write. This
/// queue is a lock-free <see cref="ConcurrentQueue{T}"/>, a slot count that a producer reserves with one
/// compare-exchange and a reader gives back after each read, and a reusable signal for a parked reader. The profile
/// behind this is in docs/benchmarks.md.
/// </para>
/// <para>
/// The reader parks only when the count is zero, after raising <c>ReaderWaiting</c>; a producer's reservation is a
/// full fence, after which it reads the flag. So either the reader sees the reservation and does not park, or the
/// producer sees the flag and wakes it: no wake-up is lost, and a producer pays for one only when the reader really
/// sleeps. Completion works the same way: a producer that reserved before completion is counted, and the reader reads
/// until the count is zero.
/// </para>
/// <para>
/// Producers that wait for room queue up under a lock, first come first served. When a slot frees, the reader moves
/// the first waiter's item into the queue itself (as <see cref="BoundedChannelFullMode.Wait"/> does), so a waiting
/// producer is never overtaken by a later <see cref="TryWrite"/> and its item keeps its place.
/// </para>
/// <para>
/// One reader waits (<see cref="WaitToReadAsync"/>); others may take items with <see cref="TryRead"/> at any time
/// (a module's immediate stop drains the queue while its loop may still be reading).
/// </para>
/// </remarks>
/// <typeparam name="T">The item.</typeparam>
internal sealed class BoundedQueue<T>
{
    private readonly int _capacity;
    private readonly ConcurrentQueue<T> _queue = new();
    private readonly ReaderSignal _signal = new();

    // Waiting producers and completion. Never taken on the fast path.
    private readonly object _gate = new();
    private Waiter? _first;
    private Waiter? _last;

    // Outside the class: a generic type cannot have an explicit layout.
    private BoundedQueueSharedCounts _shared;
    private BoundedQueueReaderCounts _reader;

    public BoundedQueue(int capacity)
    {
        _capacity = capacity;
    }

    /// <summary>Items in the queue (and, for a moment, slots reserved by producers about to write).</summary>
    public int Count => Volatile.Read(ref _shared.Count);

    /// <summary>Items read so far. Counted before the slot is freed, so <see cref="Count"/> read first and then this sees an item being read twice at worst, never not at all.</summary>
    public long Dequeued => Interlocked.Read(ref _reader.Dequeued);

    /// <summary>True once the queue was completed.</summary>
    public bool IsCompleted => Volatile.Read(ref _shared.Completed) != 0;

    /// <summary>Queues the item if there is room, no producer is waiting for it and the queue is not completed.</summary>
    public bool TryWrite(in T item)
    {
        if (Volatile.Read(ref _shared.Waiting) != 0 || !TryReserve())
        {
            return false;
        }
        // The reservation was a full fence: a completion or a parked reader that came before it is seen here.
        if (Volatile.Read(ref _shared.Completed) != 0)
        {
            Interlocked.Decrement(ref _shared.Count);
            return false;
        }
        _queue.Enqueue(item);
        if (Volatile.Read(ref _shared.ReaderWaiting) != 0)
        {
            WakeReader();
        }
        return true;
    }

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
            if (_shared.Completed != 0)
            {
                return ValueTask.FromException(new ChannelClosedException());
            }
            if (_first is null && TryReserve())
            {
                // Completion is set under this lock, so it cannot come between the check above and this write.
                _queue.Enqueue(item);
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

            // A full fence, then the re-check: either the reader's read sees Waiting, or this sees its freed slot.
            Interlocked.Exchange(ref _shared.Waiting, 1);
            released = ReleaseLocked();
        }
        CompleteReleased(released);
        return new ValueTask(waiter.Task);
    }

    /// <summary>Takes the next item and gives its slot back, to the first waiting producer if any.</summary>
    public bool TryRead(out T item)
    {
        if (!_queue.TryDequeue(out item!))
        {
            return false;
        }
        // Before the slot is freed: see Dequeued. One reader at a time in steady state (a concurrent drain only
        // happens while the queue stops), so a plain write that readers see whole is enough.
        Volatile.Write(ref _reader.Dequeued, _reader.Dequeued + 1);
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
    /// Completes with true when an item can be read, false when the queue is completed and empty. One reader at a
    /// time. Allocates nothing: the reader parks on a reusable signal.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
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

            _signal.Reset();
            Interlocked.Exchange(ref _shared.ReaderWaiting, 1);
            if (Volatile.Read(ref _shared.Count) > 0 || Volatile.Read(ref _shared.Completed) != 0)
            {
                if (Interlocked.Exchange(ref _shared.ReaderWaiting, 0) == 1)
                {
                    continue; // took the flag back: nobody will signal
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
            if (Interlocked.Exchange(ref _shared.Completed, 1) != 0)
            {
                return false;
            }
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
        return true;
    }

    private void WakeReader()
    {
        if (Interlocked.Exchange(ref _shared.ReaderWaiting, 0) == 1)
        {
            _signal.Set();
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
        CompleteReleased(released);
    }

    /// <summary>Moves waiters' items into the queue while there is room; returns them, chained, to be completed outside the lock.</summary>
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
            _queue.Enqueue(waiter.Item);
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
            WakeReader(); // a waiter released by WriteAsync's re-check, while the reader is parked
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
                Volatile.Write(ref _shared.Waiting, 0);
            }
            return true;
        }
        return false;
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
/// What a <see cref="BoundedQueue{T}"/>'s producers and the reader both touch — the slot count and the flags for waiting producers, a parked reader
/// and completion — on their own cache line, away from the reader-only count.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct BoundedQueueSharedCounts
{
    [FieldOffset(64)] public int Count;
    [FieldOffset(68)] public int Waiting;
    [FieldOffset(72)] public int ReaderWaiting;
    [FieldOffset(76)] public int Completed;
}

/// <summary>A <see cref="BoundedQueue{T}"/> reader's count of items read, on its own cache line: it is written for every item.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct BoundedQueueReaderCounts
{
    [FieldOffset(64)] public long Dequeued;
}
