using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;
using EventRouter.DispatchLoop;

namespace EventRouter.RabbitMQ;

/// <summary>Settings of the RabbitMQ bridge, set in <c>services.AddEventRouterRabbitMQ(o =&gt; …)</c>.</summary>
public sealed class RabbitMQOptions
{
    private readonly HashSet<string> _eventNames = new(StringComparer.Ordinal);
    private readonly List<Type> _eventTypes = new();

    /// <summary>The broker's AMQP URI, for example <c>amqp://user:password@host:5672/vhost</c>. Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The name of this service: listener queues are named <c>&lt;ServiceName&gt;.&lt;listener&gt;</c>, so instances of
    /// the same service compete for messages and different services each get their copy. Required.
    /// </summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// The source-generated System.Text.Json context that serializes every event crossing the broker. Required; the
    /// reflection-based serializer is never used, so the bridge works trimmed and with Native AOT.
    /// </summary>
    public JsonSerializerContext? JsonContext { get; set; }

    /// <summary>Unacknowledged messages the broker sends to each listener queue's consumer at once. Default 32.</summary>
    public ushort PrefetchCount { get; set; } = 32;

    /// <summary>Messages of one listener queue handled concurrently in this process. Default 1 (in queue order).</summary>
    public ushort ConsumerConcurrency { get; set; } = 1;

    /// <summary>Attempts in process before a failed message goes to the delay queues. Default 3.</summary>
    public int ImmediateAttempts { get; set; } = 3;

    /// <summary>The pause between in-process attempts. Default 100 ms.</summary>
    public TimeSpan ImmediateRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The delays of the broker-side retries, one delay queue each (TTL + dead-letter back to the listener queue, no
    /// plugin). After the last one a message goes to the listener's dead-letter queue. Default 5 s, 30 s.
    /// </summary>
    public IList<TimeSpan> DelayedRetries { get; } = new List<TimeSpan> { TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30) };

    /// <summary>
    /// How long a publish keeps trying (broker down, connection recovering, message not confirmed) before it fails
    /// with a <see cref="BrokerPublishException"/>. Default 30 s.
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The pause between connection recovery attempts after the broker went away. Default 2 s.</summary>
    public TimeSpan NetworkRecoveryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Remembers which listeners completed which message ids, so redeliveries are not handled twice. Default: the
    /// <see cref="IIdempotencyStore"/> registered in DI, else an <see cref="InMemoryIdempotencyStore"/> of 100,000 pairs.
    /// Use a durable store to de-duplicate across process restarts.
    /// </summary>
    public IIdempotencyStore? IdempotencyStore { get; set; }

    /// <summary>When false, this process only publishes: no listener queue is declared or consumed. Default true.</summary>
    public bool Consume { get; set; } = true;

    /// <summary>The event names that cross the broker.</summary>
    public IReadOnlyCollection<string> EventNames => _eventNames;

    internal IReadOnlyList<Type> EventTypes => _eventTypes;

    /// <summary>Test hook: runs after a listener completed and before the message is acknowledged.</summary>
    internal Func<string, System.Threading.CancellationToken, System.Threading.Tasks.Task>? BeforeAck { get; set; }

    /// <summary>Opts events in by their <see cref="EventAttribute"/> name (or full type name when they have none).</summary>
    /// <param name="eventNames">The names, for example <c>orders.placed</c>.</param>
    /// <returns>These options, for chaining.</returns>
    public RabbitMQOptions CrossBroker(params string[] eventNames)
    {
        ArgumentNullException.ThrowIfNull(eventNames);
        foreach (var name in eventNames)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(eventNames));
            _eventNames.Add(name);
        }
        return this;
    }

    /// <summary>
    /// Opts an event type in by its name, and checks at startup that <see cref="JsonContext"/> can serialize it, also in
    /// a process that only publishes it.
    /// </summary>
    /// <typeparam name="TEvent">The event type.</typeparam>
    /// <returns>These options, for chaining.</returns>
    public RabbitMQOptions CrossBroker<TEvent>()
    {
        _eventTypes.Add(typeof(TEvent));
        _eventNames.Add(EventDispatcherBase.EventNameOf(typeof(TEvent)));
        return this;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException("RabbitMQOptions.ConnectionString is required, for example amqp://guest:guest@localhost:5672/.");
        }
        if (!Uri.TryCreate(ConnectionString, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps"))
        {
            throw new InvalidOperationException($"RabbitMQOptions.ConnectionString '{Redact(ConnectionString)}' is not an amqp:// or amqps:// URI.");
        }
        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            throw new InvalidOperationException("RabbitMQOptions.ServiceName is required: it names this service's listener queues.");
        }
        if (JsonContext is null)
        {
            throw new InvalidOperationException(
                "RabbitMQOptions.JsonContext is required: set it to a source-generated JsonSerializerContext with a [JsonSerializable] for every event that crosses the broker.");
        }
        if (PrefetchCount == 0 || ConsumerConcurrency == 0)
        {
            throw new InvalidOperationException("RabbitMQOptions.PrefetchCount and ConsumerConcurrency must be at least 1.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(ImmediateAttempts, 1, nameof(ImmediateAttempts));
        foreach (var delay in DelayedRetries)
        {
            if (delay <= TimeSpan.Zero)
            {
                throw new InvalidOperationException("RabbitMQOptions.DelayedRetries must hold positive delays.");
            }
        }
        if (PublishTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("RabbitMQOptions.PublishTimeout must be positive.");
        }
    }

    /// <summary>The URI without its password, for error messages and logs.</summary>
    internal static string Redact(string connectionString)
    {
        if (Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            var user = uri.UserInfo.Split(':')[0];
            return new UriBuilder(uri) { UserName = user, Password = string.Empty }.Uri.ToString();
        }
        return connectionString;
    }
}
