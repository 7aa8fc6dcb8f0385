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
    public RetryPolicy RetryPolicy { get; set; } = RetryPolicy.Default;

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

/// <summary>What enqueuing an event does when the dispatch loop's queue is full.</summary>
public enum QueueFullMode
{
    /// <summary><see cref="EventDispatchLoop.EnqueueAsync"/> waits for room (backpressure); <see cref="EventDispatchLoop.TryEnqueue"/> returns false.</summary>
    Wait = 0,

    /// <summary><see cref="EventDispatchLoop.EnqueueAsync"/> throws <see cref="DispatchLoopFullException"/>; <see cref="EventDispatchLoop.TryEnqueue"/> returns false.</summary>
    Reject = 1,

    /// <summary>The oldest queued event of the lane is discarded (and reported) to make room for the new one.</summary>
    DropOldest = 2,

    /// <summary>The newest queued event of the lane is discarded (and reported) to make room for the new one.</summary>
    DropNewest = 3,

    /// <summary>The event being enqueued is discarded (and reported); the queue keeps what it has.</summary>
    DropWrite = 4,
}

/// <summary>
/// How a failed listener is retried: up to <see cref="MaxAttempts"/> attempts in all, waiting
/// <c>InitialDelay * BackoffMultiplier^(n-1)</c> (capped at <see cref="MaxDelay"/>) before retry <c>n</c>,
/// randomized by ± <see cref="Jitter"/> of that delay so that failing listeners do not retry in lockstep.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>5 attempts, 200 ms doubling up to 30 s, ± 20 % jitter.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>One attempt: a failure goes straight to the dead-letter sink.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Attempts in all, the first included. At least 1. Default: 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The delay before the first retry. Default: 200 ms.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between attempts. Default: 30 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The factor each delay grows by. At least 1. Default: 2.</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>The fraction (0 to 1) by which a delay is randomized up or down. Default: 0.2.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The delay before retry number <paramref name="retry"/> (1 = first retry) for a uniform sample in [0, 1).</summary>
    internal TimeSpan GetDelay(int retry, double sample)
    {
        var baseMs = InitialDelay.TotalMilliseconds * Math.Pow(BackoffMultiplier, retry - 1);
        var maxMs = MaxDelay.TotalMilliseconds;
        if (double.IsNaN(baseMs) || baseMs > maxMs)
        {
            baseMs = maxMs;
        }
        var ms = baseMs * (1 + Jitter * ((2 * sample) - 1));
        return TimeSpan.FromMilliseconds(Math.Clamp(ms, 0, maxMs));
    }

    internal void Validate(string name)
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(name, MaxAttempts, "RetryPolicy.MaxAttempts must be at least 1.");
        }
        if (InitialDelay < TimeSpan.Zero || MaxDelay < InitialDelay || MaxDelay.TotalMilliseconds > uint.MaxValue - 1)
        {
            throw new ArgumentOutOfRangeException(name, "RetryPolicy delays must satisfy 0 <= InitialDelay <= MaxDelay < 49 days.");
        }
        if (!(BackoffMultiplier >= 1) || double.IsInfinity(BackoffMultiplier))
        {
            throw new ArgumentOutOfRangeException(name, BackoffMultiplier, "RetryPolicy.BackoffMultiplier must be a finite number >= 1.");
        }
        if (!(Jitter >= 0 && Jitter <= 1))
        {
            throw new ArgumentOutOfRangeException(name, Jitter, "RetryPolicy.Jitter must be between 0 and 1.");
        }
    }
}
