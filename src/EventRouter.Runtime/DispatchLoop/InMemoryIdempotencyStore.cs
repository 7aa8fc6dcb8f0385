using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.DispatchLoop;

/// <summary>
/// The default <see cref="IIdempotencyStore"/>: a bounded in-memory set of (event id, listener) pairs that forgets the
/// least recently used pair when full. Duplicates are caught within this process and window only.
/// </summary>
public sealed class InMemoryIdempotencyStore : IIdempotencyStore
{
    private readonly int _capacity;
    private readonly Dictionary<(string EventId, string Listener), LinkedListNode<(string EventId, string Listener)>> _map;
    private readonly LinkedList<(string EventId, string Listener)> _recency = new(); // most recent first
    private readonly object _lock = new();

    /// <summary>Creates the store.</summary>
    /// <param name="capacity">The number of pairs remembered. At least 1.</param>
    public InMemoryIdempotencyStore(int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _map = new(Math.Min(capacity, 1024));
    }

    /// <summary>The number of pairs remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_map.TryGetValue((eventId, listenerName), out var node))
            {
                // A hit is a use: duplicates keep arriving while the original is recent.
                _recency.Remove(node);
                _recency.AddFirst(node);
                return new ValueTask<bool>(true);
            }
        }
        return new ValueTask<bool>(false);
    }

    /// <inheritdoc />
    public ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
    {
        var key = (eventId, listenerName);
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                _recency.Remove(existing);
                _recency.AddFirst(existing);
                return default;
            }
            _map.Add(key, _recency.AddFirst(key));
            if (_map.Count > _capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _map.Remove(oldest.Value);
            }
        }
        return default;
    }
}
