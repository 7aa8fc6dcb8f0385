using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EventRouter.RabbitMQ;

/// <summary>
/// Consumes one listener queue (<c>&lt;service&gt;.&lt;listener&gt;</c>) on its own channel: de-duplicates, invokes exactly
/// that listener, acknowledges after success, and moves failures through the delay queues to the error queue.
/// </summary>
internal sealed class ListenerConsumer : IAsyncDisposable
{
    private readonly RabbitMQBridge _bridge;
    private readonly IReadOnlyDictionary<string, ConsumerEntry> _entries;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _inFlightIds = new(StringComparer.Ordinal);
    private readonly string[] _delayQueues;
    private IChannel? _channel;
    private string? _consumerTag;
    private int _running;
    private long _handled;
    private long _duplicates;
    private long _deadLettered;

    public ListenerConsumer(RabbitMQBridge bridge, string queue, IReadOnlyDictionary<string, ConsumerEntry> entries)
    {
        _bridge = bridge;
        Queue = queue;
        ErrorQueue = queue + ".error";
        _entries = entries;
        _delayQueues = new string[bridge.Options.DelayedRetries.Count];
        for (var i = 0; i < _delayQueues.Length; i++)
        {
            _delayQueues[i] = $"{queue}.delay.{(long)bridge.Options.DelayedRetries[i].TotalMilliseconds}ms";
        }
    }

    public string Queue { get; }

    public string ErrorQueue { get; }

    /// <summary>Messages whose listener completed here.</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Redeliveries acknowledged without running the listener, because it had completed them already.</summary>
    public long DuplicatesSkipped => Interlocked.Read(ref _duplicates);

    /// <summary>Messages moved to the error queue.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public async Task StartAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var options = _bridge.Options;
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false, consumerDispatchConcurrency: options.ConsumerConcurrency),
            cancellationToken).ConfigureAwait(false);
        _channel = channel;

        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < _delayQueues.Length; i++)
        {
            // No plugin: a message waits out the queue's TTL, then the default exchange dead-letters it back to the listener queue.
            var arguments = new Dictionary<string, object?>
            {
                ["x-message-ttl"] = (long)options.DelayedRetries[i].TotalMilliseconds,
                ["x-dead-letter-exchange"] = string.Empty,
                ["x-dead-letter-routing-key"] = Queue,
            };
            await channel.QueueDeclareAsync(_delayQueues[i], durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        foreach (var (eventName, entry) in _entries)
        {
            await _bridge.EnsureExchangeAsync(channel, eventName, entry.Route.EventType, cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(Queue, eventName, routingKey: string.Empty, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: options.PrefetchCount, global: false, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        // Recorded by the connection: automatic recovery declares the queue and starts this consumer again.
        _consumerTag = await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
    }

    public async Task CancelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } channel && _consumerTag is { } tag)
        {
            try
            {
                await channel.BasicCancelAsync(tag, noWait: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or OperationCanceledException or TimeoutException)
            {
                // Channel already gone: the broker requeues what was unacknowledged.
            }
        }
    }

    /// <summary>Waits for deliveries in progress, up to the host's stop token.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _running) > 0 && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        var channel = Interlocked.Exchange(ref _channel, null);
        if (channel is null)
        {
            return;
        }
        try
        {
            await channel.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed with its connection.
        }
        channel.Dispose();
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        Interlocked.Increment(ref _running);
        try
        {
            await HandleAsync((AsyncEventingBasicConsumer)sender, delivery).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task HandleAsync(AsyncEventingBasicConsumer consumer, BasicDeliverEventArgs delivery)
    {
        var channel = consumer.Channel;
        var properties = delivery.BasicProperties;
        var messageId = properties.MessageId;
        var eventName = ReadString(properties.Headers, RabbitMQHeaders.EventName) ?? properties.Type;

        if (eventName is null || !_entries.TryGetValue(eventName, out var entry))
        {
            await DeadLetterAsync(channel, delivery, "unknown-event",
                $"Queue '{Queue}' has no listener for event '{eventName ?? "(no event name header)"}'.", null, 0).ConfigureAwait(false);
            return;
        }

        object? @event;
        try
        {
            @event = JsonSerializer.Deserialize(delivery.Body.Span, entry.TypeInfo);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            await DeadLetterAsync(channel, delivery, "malformed-json", $"The body is not a valid '{eventName}': {ex.Message}", ex, 0).ConfigureAwait(false);
            return;
        }
        if (@event is null)
        {
            await DeadLetterAsync(channel, delivery, "malformed-json", $"The body of '{eventName}' is JSON null.", null, 0).ConfigureAwait(false);
            return;
        }

        messageId ??= entry.Route.GetEventId(@event);
        var listener = entry.Route.Listeners[entry.ListenerIndex];

        // Two copies of one id can be in hand at once (a redelivery after a lost ack while the first copy still runs):
        // the second waits for the first, then finds it completed in the store.
        TaskCompletionSource? gate = null;
        if (messageId is not null)
        {
            gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            while (!_inFlightIds.TryAdd(messageId, gate))
            {
                if (_inFlightIds.TryGetValue(messageId, out var other))
                {
                    await other.Task.ConfigureAwait(false);
                }
            }
        }
        try
        {
            if (messageId is not null && await _bridge.IdempotencyStore.IsCompletedAsync(messageId, listener.Name, _bridge.Stopping).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _duplicates);
                Log.Duplicate(_bridge.Logger, Queue, messageId);
                await AckAsync(channel, delivery, messageId).ConfigureAwait(false);
                return;
            }

            using var activity = StartActivity(properties, eventName, messageId, listener.Name);
            var options = _bridge.Options;
            Exception? failure = null;
            for (var attempt = 1; attempt <= options.ImmediateAttempts; attempt++)
            {
                try
                {
                    var scope = _bridge.Services.CreateAsyncScope();
                    await using (scope.ConfigureAwait(false))
                    {
                        await entry.Route.InvokeAsync(@event, entry.ListenerIndex, scope.ServiceProvider, _bridge.Stopping).ConfigureAwait(false);
                    }
                    failure = null;
                    break;
                }
                catch (OperationCanceledException) when (_bridge.Stopping.IsCancellationRequested)
                {
                    // Stopping: leave the message unacknowledged; the broker gives it to another instance.
                    return;
                }
                catch (Exception ex)
                {
                    failure = ex;
                    if (attempt < options.ImmediateAttempts)
                    {
                        await Task.Delay(options.ImmediateRetryDelay, _bridge.Stopping).ConfigureAwait(false);
                    }
                }
            }

            if (failure is null)
            {
                if (messageId is not null)
                {
                    await _bridge.IdempotencyStore.MarkCompletedAsync(messageId, listener.Name, CancellationToken.None).ConfigureAwait(false);
                }
                Interlocked.Increment(ref _handled);
                if (options.BeforeAck is { } hook)
                {
                    await hook(messageId ?? string.Empty, _bridge.Stopping).ConfigureAwait(false);
                }
                await AckAsync(channel, delivery, messageId).ConfigureAwait(false);
                return;
            }

            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            var delayed = ReadInt(properties.Headers, RabbitMQHeaders.DelayedRetries);
            if (delayed < _delayQueues.Length)
            {
                Log.DelayedRetry(_bridge.Logger, failure, Queue, messageId, options.ImmediateAttempts, options.DelayedRetries[delayed]);
                var headers = CopyHeaders(properties.Headers);
                headers[RabbitMQHeaders.DelayedRetries] = delayed + 1;
                await RepublishAsync(delivery, _delayQueues[delayed], headers, eventName, messageId).ConfigureAwait(false);
                await AckAsync(channel, delivery, messageId).ConfigureAwait(false);
                return;
            }
            await DeadLetterAsync(channel, delivery, "listener-failed",
                $"Listener {listener.Name} failed {options.ImmediateAttempts * (delayed + 1)} time(s).", failure, options.ImmediateAttempts * (delayed + 1), listener.Name).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_bridge.Stopping.IsCancellationRequested)
        {
            // Stopping: unacknowledged, so redelivered.
        }
        finally
        {
            if (gate is not null)
            {
                _inFlightIds.TryRemove(new KeyValuePair<string, TaskCompletionSource>(messageId!, gate));
                gate.TrySetResult();
            }
        }
    }

    private async Task DeadLetterAsync(IChannel channel, BasicDeliverEventArgs delivery, string reason, string description, Exception? exception, int attempts, string? listener = null)
    {
        var headers = CopyHeaders(delivery.BasicProperties.Headers);
        headers[RabbitMQHeaders.Reason] = reason;
        headers[RabbitMQHeaders.SourceQueue] = Queue;
        headers[RabbitMQHeaders.ExceptionMessage] = exception?.Message ?? description;
        if (listener is not null)
        {
            headers[RabbitMQHeaders.Listener] = listener;
        }
        if (exception is not null)
        {
            headers[RabbitMQHeaders.ExceptionType] = exception.GetType().FullName;
            headers[RabbitMQHeaders.ExceptionStackTrace] = Truncate(exception.ToString(), 8_000);
        }
        if (attempts > 0)
        {
            headers[RabbitMQHeaders.Attempts] = attempts;
        }
        var messageId = delivery.BasicProperties.MessageId;
        Log.DeadLettered(_bridge.Logger, exception, Queue, messageId, ErrorQueue, reason);
        try
        {
            await RepublishAsync(delivery, ErrorQueue, headers, ReadString(delivery.BasicProperties.Headers, RabbitMQHeaders.EventName) ?? "(unknown)", messageId).ConfigureAwait(false);
        }
        catch (BrokerPublishException)
        {
            // Not confirmed in the error queue: keep the original unacknowledged so it is redelivered, never dropped.
            return;
        }
        Interlocked.Increment(ref _deadLettered);
        await AckAsync(channel, delivery, messageId).ConfigureAwait(false);
    }

    /// <summary>Copies a delivery into another queue of this listener (delay or error) through the default exchange, confirmed.</summary>
    private Task RepublishAsync(BasicDeliverEventArgs delivery, string queue, Dictionary<string, object?> headers, string eventName, string? messageId)
    {
        var source = delivery.BasicProperties;
        var properties = new BasicProperties
        {
            MessageId = source.MessageId,
            Type = source.Type,
            ContentType = source.ContentType,
            CorrelationId = source.CorrelationId,
            AppId = source.AppId,
            Timestamp = source.Timestamp,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        // The body is copied: the delivery's buffer is returned to the pool when this handler completes.
        return _bridge.PublishConfirmedAsync(string.Empty, null, queue, properties, delivery.Body.ToArray(), eventName, messageId ?? "(none)", _bridge.Stopping);
    }

    private async Task AckAsync(IChannel channel, BasicDeliverEventArgs delivery, string? messageId)
    {
        try
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException)
        {
            // The channel died with the delivery: the broker redelivers it, and the idempotency store skips the listener.
            Log.AckFailed(_bridge.Logger, Queue, messageId, ex.Message);
        }
    }

    private static Activity? StartActivity(IReadOnlyBasicProperties properties, string eventName, string? messageId, string listener)
    {
        var traceParent = ReadString(properties.Headers, RabbitMQHeaders.TraceParent);
        ActivityContext.TryParse(traceParent, ReadString(properties.Headers, RabbitMQHeaders.TraceState), out var parent);
        var activity = RabbitMQBridge.ActivitySource.StartActivity($"{eventName} process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.message.id", messageId);
        activity?.SetTag("eventrouter.listener", listener);
        return activity;
    }

    private static Dictionary<string, object?> CopyHeaders(IDictionary<string, object?>? headers) =>
        headers is null ? new(StringComparer.Ordinal) : new(headers, StringComparer.Ordinal);

    internal static string? ReadString(IDictionary<string, object?>? headers, string key) =>
        headers is not null && headers.TryGetValue(key, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes), // AMQP long strings arrive as bytes
                string text => text,
                _ => value?.ToString(),
            }
            : null;

    private static int ReadInt(IDictionary<string, object?>? headers, string key) =>
        headers is not null && headers.TryGetValue(key, out var value)
            ? value switch
            {
                int i => i,
                long l => (int)l,
                short s => s,
                byte b => b,
                byte[] bytes when int.TryParse(Encoding.UTF8.GetString(bytes), out var parsed) => parsed,
                _ => 0,
            }
            : 0;

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
