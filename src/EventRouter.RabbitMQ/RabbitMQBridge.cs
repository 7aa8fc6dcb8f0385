using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EventRouter.RabbitMQ;

/// <summary>
/// The bridge: one connection (automatic connection and topology recovery), a confirm-tracking publish channel, and
/// one consumer channel per listener queue. Started and stopped with the host.
/// </summary>
internal sealed partial class RabbitMQBridge : IBrokerPublisher, IHostedService, IAsyncDisposable
{
    internal static readonly ActivitySource ActivitySource = new(EventRouterDiagnostics.ActivitySourceName);

    private readonly RabbitMQOptions _options;
    private readonly JsonSerializerContext _json;
    private readonly EventDispatcherBase? _dispatcher;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Type, JsonTypeInfo> _typeInfos = new();
    private readonly ConcurrentDictionary<string, Task> _declaredExchanges = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly SemaphoreSlim _publishChannelGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ListenerConsumer> _consumers = new();
    private IConnection? _connection;
    private IChannel? _publishChannel;
    private PublishDeadline? _publishDeadline;
    private Task? _background;
    private int _disposed;
    private int _recoveries;

    public RabbitMQBridge(RabbitMQOptions options, IServiceProvider services, EventDispatcherBase? dispatcher, IIdempotencyStore store, ILogger logger)
    {
        _options = options;
        _json = options.JsonContext!;
        Services = services;
        _dispatcher = dispatcher;
        IdempotencyStore = store;
        _logger = logger;
        Server = RabbitMQTelemetry.Server.From(options.ConnectionString);
    }

    /// <summary>The broker's address, for the spans' server attributes.</summary>
    internal RabbitMQTelemetry.Server Server { get; }

    internal IServiceProvider Services { get; }

    internal IIdempotencyStore IdempotencyStore { get; }

    internal RabbitMQOptions Options => _options;

    internal ILogger Logger => _logger;

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>The listener consumers started by <see cref="StartAsync"/>, for tests and diagnostics.</summary>
    internal IReadOnlyList<ListenerConsumer> Consumers => _consumers;

    /// <summary>How many times the connection was recovered after a loss.</summary>
    internal int Recoveries => Volatile.Read(ref _recoveries);

    /// <summary>The open connection, or null before the first connect. For tests (abrupt kills).</summary>
    internal IConnection? Connection => _connection;

    /// <summary>The connection's state, for health checks.</summary>
    internal RabbitMQBridgeStatus Status { get; } = new();

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Both plans validate the serializer context (and the module registrations) before touching the network.
        var plan = BuildConsumerPlan();
        var modules = BuildModulePlan();
        try
        {
            var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            await StartConsumersAsync(connection, plan, modules, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerConnectionException ex) when (ex.Unreachable)
        {
            // The app starts without its broker: connected in the background (with backoff, each attempt logged),
            // consumers started once it is there; publishes wait for it up to PublishTimeout.
            Log.ConnectFailed(_logger, ex, 1, ex.Message);
            _background = Task.Run(() => ConnectInBackgroundAsync(plan, modules));
        }
    }

    private async Task StartConsumersAsync(
        IConnection connection, SortedDictionary<string, Dictionary<string, ConsumerEntry>> plan, List<ModuleQueueConsumer> modules, CancellationToken cancellationToken)
    {
        foreach (var (queue, entries) in plan)
        {
            var consumer = new ListenerConsumer(this, queue, entries);
            lock (_consumers)
            {
                _consumers.Add(consumer);
            }
            await consumer.StartAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        await DeclareCalledModuleQueuesAsync(connection, cancellationToken).ConfigureAwait(false);
        foreach (var consumer in modules)
        {
            lock (_moduleConsumers)
            {
                _moduleConsumers.Add(consumer);
            }
            await consumer.StartAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        Log.Started(_logger, _options.ServiceName!, _consumers.Count, modules.Count, RabbitMQOptions.Redact(_options.ConnectionString!));
    }

    private async Task ConnectInBackgroundAsync(SortedDictionary<string, Dictionary<string, ConsumerEntry>> plan, List<ModuleQueueConsumer> modules)
    {
        var pause = TimeSpan.FromMilliseconds(100);
        for (var attempt = 2; !Stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                await Task.Delay(pause, Stopping).ConfigureAwait(false);
                var connection = await ConnectAsync(Stopping).ConfigureAwait(false);
                await StartConsumersAsync(connection, plan, modules, Stopping).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
            {
                return;
            }
            catch (BrokerConnectionException ex) when (ex.Unreachable)
            {
                Log.ConnectFailed(_logger, ex, attempt, ex.Message);
            }
            catch (BrokerConnectionException ex)
            {
                // Refused credentials or virtual host: trying again does not help. Publishes fail with this error.
                Log.ConnectGaveUp(_logger, ex, attempt);
                return;
            }
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, _options.NetworkRecoveryInterval.TotalMilliseconds));
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking deliveries first, then let the running ones finish (their acks need the channel), then close.
        ListenerConsumer[] consumers;
        lock (_consumers)
        {
            consumers = _consumers.ToArray();
        }
        ModuleQueueConsumer[] moduleConsumers;
        lock (_moduleConsumers)
        {
            moduleConsumers = _moduleConsumers.ToArray();
        }
        foreach (var consumer in consumers)
        {
            await consumer.CancelAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var consumer in moduleConsumers)
        {
            await consumer.CancelAsync(cancellationToken).ConfigureAwait(false);
            // A stream may never end by itself: ended now, so the drain does not wait for it.
            await consumer.StopStreamsAsync().ConfigureAwait(false);
        }
        foreach (var consumer in consumers)
        {
            await consumer.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var consumer in moduleConsumers)
        {
            await consumer.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await WaitForBackgroundConnectAsync().ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
        Status.Set(RabbitMQConnectionState.Stopped, null);
    }

    private async Task WaitForBackgroundConnectAsync()
    {
        if (_background is { } background)
        {
            // Ends promptly: it watches the stopping token.
            await background.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Simulates a crash, for tests: deliveries in progress are abandoned without an ack and the connection is aborted
    /// (no clean consumer cancel), so the broker requeues what this instance held.
    /// </summary>
    internal async Task CrashAsync()
    {
        // Abandon first: the client's connection close waits for running consumer callbacks.
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_connection is { } connection)
        {
            await connection.AbortAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await WaitForBackgroundConnectAsync().ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
        Status.Set(RabbitMQConnectionState.Stopped, null);
        _stopping.Dispose();
    }

    private async Task CloseAsync()
    {
        // StopAsync and DisposeAsync may overlap (a host stopping twice): whoever takes the consumers closes them.
        ListenerConsumer[] consumers;
        lock (_consumers)
        {
            consumers = _consumers.ToArray();
            _consumers.Clear();
        }
        foreach (var consumer in consumers)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
        await CloseModulesAsync().ConfigureAwait(false);
        var channel = Interlocked.Exchange(ref _publishChannel, null);
        if (channel is not null)
        {
            await SafeCloseAsync(() => channel.CloseAsync()).ConfigureAwait(false);
            channel.Dispose();
        }
        var connection = Interlocked.Exchange(ref _connection, null);
        if (connection is not null)
        {
            await SafeCloseAsync(() => connection.CloseAsync(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            connection.Dispose();
        }
    }

    private static async Task SafeCloseAsync(Func<Task> close)
    {
        try
        {
            await close().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException or TimeoutException or OperationCanceledException)
        {
            // Closing something the broker already closed: nothing left to release on its side.
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Connection
    // ---------------------------------------------------------------------------------------------------------

    internal async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } existing)
        {
            return existing;
        }
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { } raced)
            {
                return raced;
            }
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            var factory = new ConnectionFactory
            {
                Uri = new Uri(_options.ConnectionString!),
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                NetworkRecoveryInterval = _options.NetworkRecoveryInterval,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
                MaxInboundMessageBodySize = (uint)Math.Max(BrokerMaxMessageSize, _options.MaxMessageSize),
                ClientProvidedName = $"{_options.ServiceName} ({Environment.MachineName}:{Environment.ProcessId})",
            };
            IConnection connection;
            Status.Attempted();
            try
            {
                connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or AuthenticationFailureException)
            {
                var failure = DescribeConnectFailure(factory, ex);
                Status.Set(failure.Unreachable ? RabbitMQConnectionState.Connecting : RabbitMQConnectionState.Failed, failure.Message);
                throw failure;
            }
            connection.ConnectionShutdownAsync += (_, e) =>
            {
                if (e.Initiator != ShutdownInitiator.Application)
                {
                    Status.Set(RabbitMQConnectionState.Recovering, $"{e.ReplyCode} {e.ReplyText}");
                    Log.ConnectionLost(_logger, e.ReplyCode, e.ReplyText);
                }
                return Task.CompletedTask;
            };
            connection.RecoverySucceededAsync += (_, _) =>
            {
                Interlocked.Increment(ref _recoveries);
                Status.Set(RabbitMQConnectionState.Connected, null);
                Log.ConnectionRecovered(_logger);
                return Task.CompletedTask;
            };
            Status.Set(RabbitMQConnectionState.Connected, null);
            _connection = connection;
            return connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private BrokerConnectionException DescribeConnectFailure(ConnectionFactory factory, Exception ex)
    {
        var where = $"{factory.HostName}:{factory.Port} (virtual host '{factory.VirtualHost}')";
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationFailureException or PossibleAuthenticationFailureException)
            {
                return new BrokerConnectionException(
                    $"RabbitMQ at {where} refused the credentials of user '{factory.UserName}'. Check the user name and password in RabbitMQOptions.ConnectionString.", ex);
            }
            if (inner is OperationInterruptedException { ShutdownReason.ReplyCode: 530 } interrupted)
            {
                return new BrokerConnectionException(
                    $"RabbitMQ at {where} refused access for user '{factory.UserName}': {interrupted.ShutdownReason?.ReplyText}. Does the virtual host exist and may the user use it?", ex);
            }
        }
        var root = ex;
        while (root.InnerException is not null)
        {
            root = root.InnerException;
        }
        return new BrokerConnectionException(
            $"Cannot reach RabbitMQ at {where}: {root.Message}. Is the broker running, and are the host and port in RabbitMQOptions.ConnectionString right?", ex)
        {
            Unreachable = true,
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Topology and serialization
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>Which listener queues this service consumes, and which (route, listener index) each event name maps to.</summary>
    private SortedDictionary<string, Dictionary<string, ConsumerEntry>> BuildConsumerPlan()
    {
        foreach (var type in _options.EventTypes)
        {
            GetTypeInfo(type, EventDispatcherBase.EventNameOf(type));
        }
        var plan = new SortedDictionary<string, Dictionary<string, ConsumerEntry>>(StringComparer.Ordinal);
        if (!_options.Consume || _dispatcher is null)
        {
            return plan;
        }
        foreach (var route in _dispatcher.Routes)
        {
            if (!_options.EventNames.Contains(route.EventName))
            {
                continue;
            }
            var typeInfo = GetTypeInfo(route.EventType, route.EventName);
            for (var i = 0; i < route.Listeners.Count; i++)
            {
                var queue = QueueName(route.Listeners[i]);
                if (!plan.TryGetValue(queue, out var entries))
                {
                    plan.Add(queue, entries = new Dictionary<string, ConsumerEntry>(StringComparer.Ordinal));
                }
                entries[route.EventName] = new ConsumerEntry(route, i, typeInfo);
            }
        }
        return plan;
    }

    internal string QueueName(ListenerInfo listener) => $"{_options.ServiceName}.{listener.Name}";

    internal JsonTypeInfo GetTypeInfo(Type type, string eventName) => GetTypeInfo(type, eventName, moduleName: null);

    /// <summary>The serializer metadata of a module's request, response or command type.</summary>
    /// <param name="moduleName">The module, for the error message.</param>
    internal JsonTypeInfo<T> GetModuleTypeInfo<T>(string moduleName) =>
        (JsonTypeInfo<T>)GetTypeInfo(typeof(T), eventName: null, moduleName);

    private JsonTypeInfo GetTypeInfo(Type type, string? eventName, string? moduleName)
    {
        if (_typeInfos.TryGetValue(type, out var cached))
        {
            return cached;
        }
        var what = moduleName is null ? $"Event '{eventName}' ({type.FullName})" : $"Type {type.FullName} of module '{moduleName}'";
        var info = _json.GetTypeInfo(type)
            ?? throw new InvalidOperationException(
                $"{what} crosses the RabbitMQ broker, but the JsonSerializerContext {_json.GetType().FullName} cannot serialize it. Add [JsonSerializable(typeof({type.FullName}))] to that context.");
        return _typeInfos.GetOrAdd(type, info);
    }

    /// <summary>Declares the event's durable fanout exchange, once, and binds it to the exchanges of its named base classes.</summary>
    internal Task EnsureExchangeAsync(IChannel channel, string eventName, Type? eventType, CancellationToken cancellationToken)
    {
        // The factory takes its state as an argument: a capturing lambda would be allocated on every publish.
        var task = _declaredExchanges.GetOrAdd(
            eventName,
            static (name, state) => DeclareExchangeAsync(state.channel, name, state.eventType, state.cancellationToken),
            (channel, eventType, cancellationToken));
        if (task.IsFaulted || task.IsCanceled)
        {
            // Not cached: the next publish or consumer start declares again.
            _declaredExchanges.TryRemove(new KeyValuePair<string, Task>(eventName, task));
        }
        return task;
    }

    private static async Task DeclareExchangeAsync(IChannel channel, string eventName, Type? eventType, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(eventName, ExchangeType.Fanout, durable: true, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        // Polymorphism across the broker: a derived event is also delivered to the queues bound to its base types' exchanges.
        for (var baseType = eventType?.BaseType; baseType is not null && baseType != typeof(object); baseType = baseType.BaseType)
        {
            var baseName = baseType.GetCustomAttribute<EventAttribute>(inherit: false)?.Name;
            if (baseName is null)
            {
                continue;
            }
            await channel.ExchangeDeclareAsync(baseName, ExchangeType.Fanout, durable: true, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.ExchangeBindAsync(destination: baseName, source: eventName, routingKey: string.Empty, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Publishing
    // ---------------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public ValueTask<string> PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken = default)
        where TEvent : notnull =>
        PublishCoreAsync(@event, 0, cancellationToken);

    /// <inheritdoc />
    public ValueTask<string> PublishDelayedAsync<TEvent>(TEvent @event, TimeSpan delay, CancellationToken cancellationToken = default)
        where TEvent : notnull
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "The delay must be zero or positive.");
        }
        return PublishCoreAsync(@event, (long)Math.Ceiling(delay.TotalMilliseconds), cancellationToken);
    }

    private async ValueTask<string> PublishCoreAsync<TEvent>(TEvent @event, long delayMilliseconds, CancellationToken cancellationToken)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(@event);
        var type = @event.GetType();
        var route = _dispatcher?.GetRoute(type);
        var eventName = route?.EventName ?? EventDispatcherBase.EventNameOf(type);
        if (!_options.EventNames.Contains(eventName))
        {
            throw new InvalidOperationException(
                $"Event '{eventName}' ({type.FullName}) does not cross the broker: opt it in with RabbitMQOptions.CrossBroker(\"{eventName}\").");
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(@event, GetTypeInfo(type, eventName));
        CheckSize(eventName, body);
        var messageId = route?.GetEventId(@event) ?? (@event as IIdentifiableEvent)?.EventId ?? Guid.NewGuid().ToString("N");

        using var activity = RabbitMQTelemetry.Start(Server, "publish", "send", eventName, ActivityKind.Producer, messageId: messageId);

        var headers = new Dictionary<string, object?>(StringComparer.Ordinal) { [RabbitMQHeaders.EventName] = eventName };
        if ((activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } current)
        {
            headers[RabbitMQHeaders.TraceParent] = current.Id;
            if (current.TraceStateString is { Length: > 0 } state)
            {
                headers[RabbitMQHeaders.TraceState] = state;
            }
        }
        var properties = new BasicProperties
        {
            MessageId = messageId,
            Type = eventName,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            AppId = _options.ServiceName,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            Headers = headers,
        };
        await PublishConfirmedAsync(eventName, type, routingKey: string.Empty, properties, body, eventName, messageId, cancellationToken, delayMilliseconds).ConfigureAwait(false);
        return messageId;
    }

    /// <summary>
    /// Publishes and waits for the broker's confirm, retrying through connection loss and nacks until
    /// <see cref="RabbitMQOptions.PublishTimeout"/>. A retried message keeps its id, so a duplicate (a publish the
    /// broker did take but whose confirm was lost) is removed by the consumers' de-duplication.
    /// </summary>
    internal async Task PublishConfirmedAsync(
        string exchange, Type? eventType, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body,
        string eventName, string messageId, CancellationToken cancellationToken, long delayMilliseconds = 0)
    {
        var delayQueue = delayMilliseconds > 0 ? DelayQueueName(exchange, delayMilliseconds) : null;
        var timeout = _options.PublishTimeout;
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(50);
        Exception? lastError = null;
        // The first attempt of a publish the caller cannot cancel shares one deadline with the others started about
        // the same time (see SharedPublishDeadline): no token source, timer and registration of its own per message.
        var shareDeadline = !cancellationToken.CanBeCanceled;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new BrokerPublishException(eventName, messageId, timeout, lastError);
            }
            CancellationTokenSource? attempt = null;
            CancellationToken token;
            if (shareDeadline)
            {
                shareDeadline = false;
                token = SharedPublishDeadline(timeout, started);
            }
            else
            {
                attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(remaining);
                token = attempt.Token;
            }
            try
            {
                var channel = await GetPublishChannelAsync(token).ConfigureAwait(false);
                if (exchange.Length > 0)
                {
                    await EnsureExchangeAsync(channel, exchange, eventType, token).ConfigureAwait(false);
                }
                if (delayQueue is not null)
                {
                    // Declared on every delayed publish: that renews the queue's lease (x-expires), so it outlives
                    // the message in it, and a queue the broker removed while unused is there again.
                    await DeclareDelayQueueAsync(channel, delayQueue, exchange, delayMilliseconds, token).ConfigureAwait(false);
                    await channel.BasicPublishAsync(string.Empty, delayQueue, mandatory: false, properties, body, token).ConfigureAwait(false);
                    return;
                }
                await channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastError ??= Status.LastError is { } down && _connection is null
                    ? new BrokerConnectionException(down, null)
                    : new TimeoutException("No confirm from the broker in time.");
                continue; // the loop head reports the timeout, or retries for what is left after a shared deadline
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                lastError = ex;
                Log.PublishRetry(_logger, eventName, messageId, ex.Message);
            }
            finally
            {
                attempt?.Dispose();
            }
            var wait = pause < remaining ? pause : remaining;
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>The queue a delayed event of <paramref name="exchange"/> waits in: one per event and delay.</summary>
    internal static string DelayQueueName(string exchange, long delayMilliseconds) =>
        exchange + ".delay." + delayMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "ms";

    /// <summary>How long past its delay an unused delay queue stays before the broker removes it.</summary>
    internal static readonly TimeSpan DelayQueueLease = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A durable queue whose messages all have the same TTL, so they expire in order at its head (per-message TTLs
    /// would expire only at the head, out of due order), then are dead-lettered into the event's exchange, as the
    /// listener queues' retry delays are.
    /// </summary>
    private static Task DeclareDelayQueueAsync(IChannel channel, string queue, string exchange, long delayMilliseconds, CancellationToken cancellationToken) =>
        channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
        {
            ["x-message-ttl"] = delayMilliseconds,
            ["x-dead-letter-exchange"] = exchange,
            ["x-dead-letter-routing-key"] = string.Empty,
            ["x-expires"] = delayMilliseconds + (long)DelayQueueLease.TotalMilliseconds,
        }, cancellationToken: cancellationToken);

    /// <summary>
    /// A token cancelled <paramref name="timeout"/> after the start of the current slot (a slot lasts an eighth of the
    /// timeout), shared by every publish that starts in that slot. So it fires up to a slot before such a publish's own
    /// deadline, not after it (give or take the moments between the publish's start and this call): a publish cut
    /// short that way goes round its retry loop with the exact time it has left, on its own token source, as a publish
    /// with a cancellable caller token always does.
    /// </summary>
    private CancellationToken SharedPublishDeadline(TimeSpan timeout, long now)
    {
        var current = Volatile.Read(ref _publishDeadline);
        if (current is not null && current.Timeout == timeout && Stopwatch.GetElapsedTime(current.Started, now) < timeout / 8)
        {
            return current.Source.Token;
        }
        var fresh = new PublishDeadline(new CancellationTokenSource(timeout), now, timeout);
        var raced = Interlocked.CompareExchange(ref _publishDeadline, fresh, current);
        if (!ReferenceEquals(raced, current))
        {
            fresh.Source.Dispose();
            return raced!.Source.Token;
        }
        // The replaced source is not disposed: publishes of its slot still wait on its token. Its timer releases it.
        return fresh.Source.Token;
    }

    private sealed class PublishDeadline(CancellationTokenSource source, long started, TimeSpan timeout)
    {
        public CancellationTokenSource Source { get; } = source;

        public long Started { get; } = started;

        public TimeSpan Timeout { get; } = timeout;
    }

    /// <summary>Refuses a body above <see cref="RabbitMQOptions.MaxMessageSize"/> before it reaches the broker.</summary>
    internal void CheckSize(string name, byte[] body)
    {
        if (body.Length > _options.MaxMessageSize)
        {
            throw new MessageTooLargeException(name, body.Length, _options.MaxMessageSize);
        }
    }

    /// <summary>
    /// RabbitMQ's own ceiling on a message (its default <c>max_message_size</c>): the client reads anything up to it, so
    /// a message the broker accepted never breaks the consuming connection; above <see cref="RabbitMQOptions.MaxMessageSize"/>
    /// it goes to the error queue.
    /// </summary>
    internal const int BrokerMaxMessageSize = 128 * 1024 * 1024;

    private static bool IsTransient(Exception ex) =>
        ex is AlreadyClosedException or OperationInterruptedException or PublishException or BrokerUnreachableException
            or BrokerConnectionException or System.IO.IOException or System.Net.Sockets.SocketException or TimeoutException
            or ObjectDisposedException or InvalidOperationException { Source: "RabbitMQ.Client" };

    // ValueTask: the usual case (channel open) completes synchronously without allocating a Task.
    private async ValueTask<IChannel> GetPublishChannelAsync(CancellationToken cancellationToken)
    {
        if (_publishChannel is { IsOpen: true } open)
        {
            return open;
        }
        await _publishChannelGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var channel = _publishChannel;
            if (channel is { IsOpen: true })
            {
                return channel;
            }
            var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (channel is not null)
            {
                // A channel closed by a channel-level error (404, 406, …) is never recovered: replace it. One closed
                // with its connection comes back with the connection's recovery.
                var closedByChannelError = channel.CloseReason is { Initiator: ShutdownInitiator.Peer, ReplyCode: >= 403 and <= 406 };
                if (!closedByChannelError || !connection.IsOpen)
                {
                    throw new AlreadyClosedException(channel.CloseReason ?? new ShutdownEventArgs(ShutdownInitiator.Library, 0, "publish channel closed"));
                }
                _declaredExchanges.Clear();
                channel.Dispose();
            }
            channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken).ConfigureAwait(false);
            _publishChannel = channel;
            return channel;
        }
        finally
        {
            _publishChannelGate.Release();
        }
    }
}

/// <summary>Where a queue's messages of one event name go: the route, the listener's index in it, and the JSON metadata.</summary>
internal sealed record ConsumerEntry(EventRoute Route, int ListenerIndex, JsonTypeInfo TypeInfo);
