using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>The published event: about 60 bytes of JSON, an id that becomes the message id.</summary>
[Event(BenchTopology.EventName)]
public sealed record OrderPlaced([property: EventId] string Id, string Customer, decimal Total);

[JsonSerializable(typeof(OrderPlaced))]
public sealed partial class BenchJsonContext : JsonSerializerContext;

/// <summary>The one listener of the end-to-end cases: counts and completes synchronously.</summary>
[EventListener]
public sealed class OrderCounter : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct)
    {
        Arrivals.Seen();
        return default;
    }
}

/// <summary>
/// Counts deliveries seen by whichever consumer runs (the bridge's listener or the raw consumer) and completes when
/// the expected number arrived. One case runs at a time, so one static counter is enough.
/// </summary>
public static class Arrivals
{
    private static int _seen;
    private static int _expected;
    private static TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static int Count => Volatile.Read(ref _seen);

    /// <summary>Starts counting towards <paramref name="expected"/>; the returned task completes when they arrived.</summary>
    public static Task Expect(int expected)
    {
        _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _seen, 0);
        Volatile.Write(ref _expected, expected);
        return _all.Task;
    }

    public static void Seen()
    {
        if (Interlocked.Increment(ref _seen) == Volatile.Read(ref _expected))
        {
            _all.TrySetResult();
        }
    }
}

/// <summary>The "no de-duplication" store of the de-dup overhead case: remembers nothing.</summary>
public sealed class NoOpIdempotencyStore : IIdempotencyStore
{
    public ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken) => new(false);

    public ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken) => default;
}
