using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EventRouter.RabbitMQ;

/// <summary>
/// One queue consumed on its own channel with manual acks: the life cycle the listener and module queue consumers
/// share (open, consume, cancel, drain, close). Subclasses declare their topology and handle each delivery.
/// </summary>
internal abstract class QueueConsumer : IAsyncDisposable
{
    private IChannel? _channel;
    private string? _consumerTag;
    private int _running;
    private int _cancelled;

    protected QueueConsumer(RabbitMQBridge bridge, string queue)
    {
        Bridge = bridge;
        Queue = queue;
        ErrorQueue = queue + ".error";
    }

    public string Queue { get; }

    /// <summary>Where messages that cannot be handled go, with the reason in their headers.</summary>
    public string ErrorQueue { get; }

    protected RabbitMQBridge Bridge { get; }

    public async Task StartAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var options = Bridge.Options;
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false, consumerDispatchConcurrency: options.ConsumerConcurrency),
            cancellationToken).ConfigureAwait(false);
        _channel = channel;
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        await DeclareTopologyAsync(channel, cancellationToken).ConfigureAwait(false);

        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: options.PrefetchCount, global: false, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        // Recorded by the connection: automatic recovery declares the queue and starts this consumer again.
        _consumerTag = await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking deliveries; unacknowledged ones go back to the queue (for another instance).</summary>
    public async Task CancelAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _cancelled, 1) != 0)
        {
            return;
        }
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

    /// <summary>
    /// Copies a delivery into another queue (a delay or the error queue) through the default exchange, confirmed;
    /// <paramref name="name"/> (the event or message type name) is for the publish's error message.
    /// </summary>
    protected Task RepublishAsync(BasicDeliverEventArgs delivery, string queue, Dictionary<string, object?> headers, string name, string? messageId)
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
        return Bridge.PublishConfirmedAsync(string.Empty, null, queue, properties, delivery.Body.ToArray(), name, messageId ?? "(none)", Bridge.Stopping);
    }

    /// <summary>
    /// Moves a delivery to the error queue with <paramref name="headers"/> (the reason and the exception), then
    /// acknowledges it. False when the broker did not confirm the copy: the original then stays unacknowledged, so it
    /// is redelivered, never dropped.
    /// </summary>
    protected async Task<bool> MoveToErrorQueueAsync(IChannel channel, BasicDeliverEventArgs delivery, Dictionary<string, object?> headers, string reason, string name, Exception? exception)
    {
        var messageId = delivery.BasicProperties.MessageId;
        Log.DeadLettered(Bridge.Logger, exception, Queue, messageId, ErrorQueue, reason);
        try
        {
            await RepublishAsync(delivery, ErrorQueue, headers, name, messageId).ConfigureAwait(false);
        }
        catch (BrokerPublishException)
        {
            return false;
        }
        await Deliveries.AckAsync(channel, delivery, Bridge.Logger, Queue, messageId).ConfigureAwait(false);
        return true;
    }

    /// <summary>Declares what the queue needs besides itself and its error queue (delay queues, bindings).</summary>
    protected virtual Task DeclareTopologyAsync(IChannel channel, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Handles one delivery and acknowledges, rejects or leaves it unacknowledged.</summary>
    protected abstract Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery);

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        Interlocked.Increment(ref _running);
        try
        {
            await HandleAsync(((AsyncEventingBasicConsumer)sender).Channel, delivery).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
