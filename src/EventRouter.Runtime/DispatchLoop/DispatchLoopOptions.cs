using System;
using System.Collections.Generic;
using System.Threading;

namespace EventRouter.DispatchLoop;

/// <summary>Settings of an <see cref="EventDispatchLoop"/>. Read once when the loop is created.</summary>
public sealed class DispatchLoopOptions
{
    /// <summary>
    /// How many events may wait in the queue. The queue is split evenly across the worker lanes
    /// (each lane holds <c>Capacity / MaxParallelism</c>, at least 1). Default: 1024.
    /// </summary>
    public int Capacity { get; set; } = 1024;

    /// <summary>What enqueuing does when the queue is full. Default: <see cref="QueueFullMode.Wait"/>.</summary>
    public QueueFullMode FullMode { get; set; } = QueueFullMode.Wait;

    /// <summary>
    /// The number of workers (lanes). Events with the same partition key always go to the same lane and are handled
    /// one after another; other events run in parallel across lanes. Default: <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int MaxParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>The retry policy of every listener without its own entry in <see cref="ListenerRetryPolicies"/>.</summary>
    // A fresh instance rather than the shared RetryPolicy.Default: binding configuration into it must not change the
    // default of every other loop.
    public RetryPolicy RetryPolicy { get; set; } = new();

    /// <summary>Retry policies per listener type (the <see cref="ListenerInfo.ListenerType"/>), overriding <see cref="RetryPolicy"/>.</summary>
    public IDictionary<Type, RetryPolicy> ListenerRetryPolicies { get; } = new Dictionary<Type, RetryPolicy>();

    /// <summary>
    /// How long one listener may take to handle one delivery before it counts as failed with a
    /// <see cref="TimeoutException"/> (and is retried). Its cancellation token is cancelled at that point.
    /// Default: <see cref="Timeout.InfiniteTimeSpan"/> (off).
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long the hosted-service stop and <see cref="EventDispatchLoop.DisposeAsync"/> let queued events drain. Default: 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// De-duplicates deliveries of events that carry an id. Default: an <see cref="InMemoryIdempotencyStore"/>
    /// holding <see cref="IdempotencyCapacity"/> entries (or the <see cref="IIdempotencyStore"/> registered in DI).
    /// </summary>
    public IIdempotencyStore? IdempotencyStore { get; set; }

    /// <summary>The number of (event id, listener) entries the default in-memory store remembers. Default: 10,000.</summary>
    public int IdempotencyCapacity { get; set; } = 10_000;

    /// <summary>
    /// Makes the loop durable: every accepted event is stored before <see cref="EventDispatchLoop.EnqueueAsync(object, System.Threading.CancellationToken)"/>
    /// completes, each listener's completion is recorded, and on start the events a crash left unfinished are
    /// delivered again to the listeners that had not completed them. Requires <see cref="QueueFullMode.Wait"/>.
    /// Default: none (or the <see cref="IDispatchLoopJournal"/> registered in DI).
    /// </summary>
    public IDispatchLoopJournal? Journal { get; set; }

    /// <summary>Receives deliveries that failed their last attempt. Default: the <see cref="IDeadLetterSink"/> in DI, else a sink that logs an error.</summary>
    public IDeadLetterSink? DeadLetterSink { get; set; }

    /// <summary>Called (besides a log warning and the <see cref="DispatchLoopCounts.Dropped"/> counter) with every event a drop mode discards.</summary>
    public Action<object>? OnDropped { get; set; }

    /// <summary>Called when a stop finishes with the events it could not deliver (the same list <see cref="EventDispatchLoop.StopAsync(TimeSpan)"/> returns).</summary>
    public Action<IReadOnlyList<UndeliveredEvent>>? OnUndelivered { get; set; }

    /// <summary>The clock for backoff delays, delivery timeouts and the drain timeout. Default: the <see cref="System.TimeProvider"/> in DI, else <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Sets the retry policy of one listener type.</summary>
    /// <typeparam name="TListener">The listener class.</typeparam>
    /// <param name="policy">Its policy.</param>
    /// <returns>These options, for chaining.</returns>
    public DispatchLoopOptions SetRetryPolicy<TListener>(RetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ListenerRetryPolicies[typeof(TListener)] = policy;
        return this;
    }

    internal DispatchLoopOptions Clone()
    {
        // A copy per loop: the DI factory fills in services without touching the caller's instance.
        var fresh = new DispatchLoopOptions();
        foreach (var pair in ListenerRetryPolicies)
        {
            fresh.ListenerRetryPolicies[pair.Key] = pair.Value;
        }
        fresh.Capacity = Capacity;
        fresh.FullMode = FullMode;
        fresh.MaxParallelism = MaxParallelism;
        fresh.RetryPolicy = RetryPolicy;
        fresh.DeliveryTimeout = DeliveryTimeout;
        fresh.DrainTimeout = DrainTimeout;
        fresh.IdempotencyStore = IdempotencyStore;
        fresh.IdempotencyCapacity = IdempotencyCapacity;
        fresh.DeadLetterSink = DeadLetterSink;
        fresh.Journal = Journal;
        fresh.OnDropped = OnDropped;
        fresh.OnUndelivered = OnUndelivered;
        fresh.TimeProvider = TimeProvider;
        return fresh;
    }

    internal void Validate()
    {
        if (Capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "The dispatch loop's capacity must be at least 1.");
        }
        if (MaxParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "The dispatch loop needs at least one worker.");
        }
        if (!Enum.IsDefined(FullMode))
        {
            throw new ArgumentOutOfRangeException(nameof(FullMode), FullMode, "Unknown QueueFullMode.");
        }
        if (Journal is not null && FullMode != QueueFullMode.Wait)
        {
            throw new ArgumentException("A journaled dispatch loop needs FullMode = QueueFullMode.Wait: an event it stored is accepted, so it is never rejected or dropped.", nameof(FullMode));
        }
        if (IdempotencyCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(IdempotencyCapacity), IdempotencyCapacity, "The idempotency store must hold at least one entry.");
        }
        ValidateTimeout(DeliveryTimeout, nameof(DeliveryTimeout));
        ValidateTimeout(DrainTimeout, nameof(DrainTimeout));
        ArgumentNullException.ThrowIfNull(RetryPolicy, nameof(RetryPolicy));
        RetryPolicy.Validate(nameof(RetryPolicy));
        foreach (var pair in ListenerRetryPolicies)
        {
            ArgumentNullException.ThrowIfNull(pair.Value, nameof(ListenerRetryPolicies));
            pair.Value.Validate($"{nameof(ListenerRetryPolicies)}[{pair.Key.FullName}]");
        }
    }

    private static void ValidateTimeout(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value.TotalMilliseconds > uint.MaxValue - 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be zero or positive (and below 49 days), or Timeout.InfiniteTimeSpan.");
        }
    }
}
