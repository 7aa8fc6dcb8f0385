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
internal sealed class ListenerConsumer : QueueConsumer
{
    private readonly IReadOnlyDictionary<string, ConsumerEntry> _entries;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _inFlightIds = new(StringComparer.Ordinal);
    private readonly string[] _delayQueues;
    private long _handled;
    private long _duplicates;
    private long _deadLettered;

    public ListenerConsumer(RabbitMQBridge bridge, string queue, IReadOnlyDictionary<string, ConsumerEntry> entries)
        : base(bridge, queue)
    {
        _entries = entries;
        _delayQueues = new string[bridge.Options.DelayedRetries.Count];
        for (var i = 0; i < _delayQueues.Length; i++)
        {
            _delayQueues[i] = $"{queue}.delay.{(long)bridge.Options.DelayedRetries[i].TotalMilliseconds}ms";
        }
    }

    /// <summary>Messages whose listener completed here.</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Redeliveries acknowledged without running the listener, because it had completed them already.</summary>
    public long DuplicatesSkipped => Interlocked.Read(ref _duplicates);

    /// <summary>Messages moved to the error queue.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>The delay queues of the broker-side retries, and the queue's bindings to its events' exchanges.</summary>
    protected override async Task DeclareTopologyAsync(IChannel channel, CancellationToken cancellationToken)
    {
        var options = Bridge.Options;
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
            await Bridge.EnsureExchangeAsync(channel, eventName, entry.Route.EventType, cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(Queue, eventName, routingKey: string.Empty, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        var properties = delivery.BasicProperties;
        var messageId = properties.MessageId;
        var eventName = Deliveries.ReadString(properties.Headers, RabbitMQHeaders.EventName) ?? properties.Type;

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
        // The store's key: a different event that reuses a message id is not a duplicate (see DeduplicationKey).
        var key = messageId is null ? null : Deliveries.DeduplicationKey(messageId, eventName, delivery.Body.Span);

        // Two copies of one id can be in hand at once (a redelivery after a lost ack while the first copy still runs):
        // the second waits for the first, then finds it completed in the store.
        TaskCompletionSource? gate = null;
        if (key is not null)
        {
            gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            while (!_inFlightIds.TryAdd(key, gate))
            {
                if (_inFlightIds.TryGetValue(key, out var other))
                {
                    await other.Task.ConfigureAwait(false);
                }
            }
        }
        try
        {
            if (key is not null && await Bridge.IdempotencyStore.IsCompletedAsync(key, listener.Name, Bridge.Stopping).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _duplicates);
                Log.Duplicate(Bridge.Logger, Queue, messageId!);
                await AckAsync(channel, delivery, messageId).ConfigureAwait(false);
                return;
            }

            using var activity = Deliveries.StartActivity(Bridge.Server, properties, Queue, ActivityKind.Consumer, messageId);
            activity?.SetTag("eventrouter.listener", listener.Name);
            activity?.SetTag("eventrouter.event_name", eventName);
            var options = Bridge.Options;
            Exception? failure = null;
            for (var attempt = 1; attempt <= options.ImmediateAttempts; attempt++)
            {
                try
                {
                    var scope = Bridge.Services.CreateAsyncScope();
                    await using (scope.ConfigureAwait(false))
                    {
                        await entry.Route.InvokeAsync(@event, entry.ListenerIndex, scope.ServiceProvider, Bridge.Stopping).ConfigureAwait(false);
                    }
                    failure = null;
                    break;
                }
                catch (OperationCanceledException) when (Bridge.Stopping.IsCancellationRequested)
                {
                    // Stopping: leave the message unacknowledged; the broker gives it to another instance.
                    return;
                }
                catch (Exception ex)
                {
                    failure = ex;
                    if (attempt < options.ImmediateAttempts)
                    {
                        await Task.Delay(options.ImmediateRetryDelay, Bridge.Stopping).ConfigureAwait(false);
                    }
                }
            }

            if (failure is null)
            {
                if (key is not null)
                {
                    await Bridge.IdempotencyStore.MarkCompletedAsync(key, listener.Name, CancellationToken.None).ConfigureAwait(false);
                }
                Interlocked.Increment(ref _handled);
                if (options.BeforeAck is { } hook)
                {
                    await hook(messageId ?? string.Empty, Bridge.Stopping).ConfigureAwait(false);
                }
                await AckAsync(channel, delivery, messageId).ConfigureAwait(false);
                return;
            }

            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            var delayed = ReadInt(properties.Headers, RabbitMQHeaders.DelayedRetries);
            if (delayed < _delayQueues.Length)
            {
                Log.DelayedRetry(Bridge.Logger, failure, Queue, messageId, options.ImmediateAttempts, options.DelayedRetries[delayed]);
                var headers = Deliveries.CopyHeaders(properties.Headers);
                headers[RabbitMQHeaders.DelayedRetries] = delayed + 1;
                await RepublishAsync(delivery, _delayQueues[delayed], headers, eventName, messageId).ConfigureAwait(false);
                await AckAsync(channel, delivery, messageId).ConfigureAwait(false);
                return;
            }
            await DeadLetterAsync(channel, delivery, "listener-failed",
                $"Listener {listener.Name} failed {options.ImmediateAttempts * (delayed + 1)} time(s).", failure, options.ImmediateAttempts * (delayed + 1), listener.Name).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Bridge.Stopping.IsCancellationRequested)
        {
            // Stopping: unacknowledged, so redelivered.
        }
        finally
        {
            if (gate is not null)
            {
                _inFlightIds.TryRemove(new KeyValuePair<string, TaskCompletionSource>(key!, gate));
                gate.TrySetResult();
            }
        }
    }

    protected override Task RejectAsync(IChannel channel, BasicDeliverEventArgs delivery, string reason, string description) =>
        DeadLetterAsync(channel, delivery, reason, description, null, 0);

    private async Task DeadLetterAsync(IChannel channel, BasicDeliverEventArgs delivery, string reason, string description, Exception? exception, int attempts, string? listener = null)
    {
        var headers = Deliveries.FailureHeaders(delivery.BasicProperties.Headers, reason, Queue, description, exception);
        if (listener is not null)
        {
            headers[RabbitMQHeaders.Listener] = listener;
        }
        if (attempts > 0)
        {
            headers[RabbitMQHeaders.Attempts] = attempts;
        }
        var eventName = Deliveries.ReadString(delivery.BasicProperties.Headers, RabbitMQHeaders.EventName) ?? "(unknown)";
        if (await MoveToErrorQueueAsync(channel, delivery, headers, reason, eventName, exception).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _deadLettered);
        }
    }

    // The channel may die with the delivery: the broker then redelivers it, and the idempotency store skips the listener.
    private Task AckAsync(IChannel channel, BasicDeliverEventArgs delivery, string? messageId) =>
        Deliveries.AckAsync(channel, delivery, Bridge.Logger, Queue, messageId);

    // A count of retries already made: a negative or unreadable value counts as none, a huge one as all of them (a
    // header written by hand must not be used as a list index as it is).
    private static int ReadInt(IDictionary<string, object?>? headers, string key)
    {
        if (headers is null || !headers.TryGetValue(key, out var value))
        {
            return 0;
        }
        long count = value switch
        {
            int i => i,
            long l => l,
            uint u => u,
            short s => s,
            byte b => b,
            byte[] bytes when long.TryParse(Encoding.UTF8.GetString(bytes), out var parsed) => parsed,
            _ => 0,
        };
        return count < 0 ? 0 : (int)Math.Min(count, int.MaxValue);
    }
}
