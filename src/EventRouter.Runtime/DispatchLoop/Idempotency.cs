using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.DispatchLoop;

/// <summary>
/// Remembers which listeners completed which events, so that a duplicate or redelivered event (same id) does not run
/// a listener twice. Implement it over a database to de-duplicate across restarts and processes.
/// </summary>
/// <remarks>
/// The loop routes every copy of an event id to the same worker lane, so within one loop a check and the mark that
/// follows it are never interleaved with another delivery of the same id.
/// </remarks>
public interface IIdempotencyStore
{
    /// <summary>True when <paramref name="listenerName"/> already completed the event <paramref name="eventId"/>.</summary>
    /// <param name="eventId">The event's id (<see cref="EventIdAttribute"/> or <see cref="IIdentifiableEvent"/>).</param>
    /// <param name="listenerName">The listener's <see cref="ListenerInfo.Name"/>.</param>
    /// <param name="cancellationToken">Cancelled when the loop is forced to stop.</param>
    ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="listenerName"/> completed the event <paramref name="eventId"/>.</summary>
    /// <param name="eventId">The event's id.</param>
    /// <param name="listenerName">The listener's <see cref="ListenerInfo.Name"/>.</param>
    /// <param name="cancellationToken">Not cancelled by the loop: the listener has already run.</param>
    ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken);
}

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
