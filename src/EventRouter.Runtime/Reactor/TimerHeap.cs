using System;

namespace EventRouter.Reactor;

/// <summary>
/// A 4-ary min-heap of timers ordered by (due, sequence), owned by one loop thread (no locks).
/// </summary>
/// <remarks>
/// Why a 4-ary heap with lazy cancellation rather than a hashed wheel: it is exact (a timer fires at its due
/// timestamp, not rounded to a wheel slot), the next wake-up is simply the root, and insertions of random deadlines
/// sift up O(1) on average while the shallower tree halves the depth of a binary heap. Cancellation is an O(1) flag
/// on the timer; cancelled entries are dropped when they reach the root or, when they make up most of the heap,
/// by an O(n) rebuild, so cancelling 100k timers costs 100k interlocked flags plus one rebuild.
/// </remarks>
internal sealed class TimerHeap
{
    private LoopTimer[] _items = new LoopTimer[64];
    private int _count;
    private int _peak; // the most timers held since the last rebuild: what the array must keep room for
    private long _nextSequence;

    public int Count => _count;

    public LoopTimer Peek() => _items[0];

    public void Insert(LoopTimer timer)
    {
        // The sequence breaks ties so timers with the same due time fire in the order they were armed.
        timer.Sequence = _nextSequence++;
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }
        SiftUp(_count++, timer);
        if (_count > _peak)
        {
            _peak = _count;
        }
    }

    public LoopTimer Pop()
    {
        var root = _items[0];
        var last = _items[--_count];
        _items[_count] = null!;
        if (_count > 0)
        {
            SiftDown(0, last);
        }
        return root;
    }

    /// <summary>Removes every cancelled timer and restores the heap order; returns how many were removed.</summary>
    public int RemoveCancelled()
    {
        var kept = 0;
        for (var i = 0; i < _count; i++)
        {
            var t = _items[i];
            if (!t.IsCancelled)
            {
                _items[kept++] = t;
            }
        }
        var removed = _count - kept;
        Array.Clear(_items, kept, removed);
        _count = kept;
        // Floyd's bottom-up heapify: O(n).
        for (var i = (_count - 2) >> 2; i >= 0; i--)
        {
            SiftDown(i, _items[i]);
        }
        if (_items.Length > 1024 && _peak < _items.Length / 4)
        {
            // Give memory back when even the busiest moment since the last rebuild used little of it. Not merely
            // because this rebuild emptied the heap: a loop that arms and cancels timers in large batches would then
            // shrink and regrow a large-object-heap array every batch (a gen 2 collection each time).
            Array.Resize(ref _items, Math.Max(64, _items.Length / 2));
        }
        _peak = _count;
        return removed;
    }

    private static bool Less(LoopTimer a, LoopTimer b) => a.Due < b.Due || (a.Due == b.Due && a.Sequence < b.Sequence);

    private void SiftUp(int index, LoopTimer timer)
    {
        while (index > 0)
        {
            var parent = (index - 1) >> 2;
            var p = _items[parent];
            if (!Less(timer, p))
            {
                break;
            }
            _items[index] = p;
            index = parent;
        }
        _items[index] = timer;
    }

    private void SiftDown(int index, LoopTimer timer)
    {
        while (true)
        {
            var first = (index << 2) + 1;
            if (first >= _count)
            {
                break;
            }
            var best = first;
            var end = Math.Min(first + 4, _count);
            for (var c = first + 1; c < end; c++)
            {
                if (Less(_items[c], _items[best]))
                {
                    best = c;
                }
            }
            if (!Less(_items[best], timer))
            {
                break;
            }
            _items[index] = _items[best];
            index = best;
        }
        _items[index] = timer;
    }
}
