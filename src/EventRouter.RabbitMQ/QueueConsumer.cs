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
    private IConnection? _connection;
    private int _running;
    private int _cancelled;
    private int _reopened;
    private long _rejected;

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

    /// <summary>The channel the queue is consumed on, for tests (a broker-side channel close).</summary>
    internal IChannel? Channel => _channel;

    public async Task StartAsync(IConnection connection, CancellationToken cancellationToken)
    {
        _connection = connection;
        var options = Bridge.Options;
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false, consumerDispatchConcurrency: options.ConsumerConcurrency),
            cancellationToken).ConfigureAwait(false);
        _channel = channel;
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        await DeclareTopologyAsync(channel, cancellationToken).ConfigureAwait(false);

        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: PrefetchCount, global: false, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        // Recorded by the connection: automatic recovery declares the queue and starts this consumer again.
        _consumerTag = await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
        // A channel the broker closes on its own (a consumer timeout, a precondition) is not recovered with the
        // connection: reopened here, or the queue would have no consumer for the rest of the process's life.
        channel.ChannelShutdownAsync += (_, e) => OnChannelShutdownAsync(channel, e);
    }

    /// <summary>How many unacknowledged deliveries the broker sends this consumer at once.</summary>
    protected virtual ushort PrefetchCount => Bridge.Options.PrefetchCount;

    /// <summary>How many times the broker closed this consumer's channel and it was reopened.</summary>
    public int Reopened => Volatile.Read(ref _reopened);

    private Task OnChannelShutdownAsync(IChannel channel, ShutdownEventArgs e)
    {
        if (e.Initiator != ShutdownInitiator.Peer || Volatile.Read(ref _cancelled) != 0 || Bridge.Stopping.IsCancellationRequested
            || _connection is not { IsOpen: true } || !ReferenceEquals(channel, _channel))
        {
            // Closed by this process, or with its connection (which recovers it).
            return Task.CompletedTask;
        }
        Log.ChannelClosedByBroker(Bridge.Logger, Queue, e.ReplyCode, e.ReplyText);
        _ = ReopenAsync(channel);
        return Task.CompletedTask;
    }

    private async Task ReopenAsync(IChannel closed)
    {
        var pause = TimeSpan.FromMilliseconds(100);
        while (!Bridge.Stopping.IsCancellationRequested && Volatile.Read(ref _cancelled) == 0)
        {
            try
            {
                await Task.Delay(pause, Bridge.Stopping).ConfigureAwait(false);
                if (_connection is not { IsOpen: true } connection)
                {
                    continue; // the connection's recovery restores the consumer
                }
                await StartAsync(connection, Bridge.Stopping).ConfigureAwait(false);
                Interlocked.Increment(ref _reopened);
                Log.ChannelReopened(Bridge.Logger, Queue);
                closed.Dispose();
                return;
            }
            catch (OperationCanceledException) when (Bridge.Stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ChannelReopenFailed(Bridge.Logger, ex, Queue);
                pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 5000));
            }
        }
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

    /// <summary>Deliveries moved to the error queue before their handler saw them: too large, or not the bridge's format.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>
    /// Moves a delivery that cannot be handled to the error queue with its reason; a module consumer also answers a
    /// request's caller.
    /// </summary>
    protected abstract Task RejectAsync(IChannel channel, BasicDeliverEventArgs delivery, string reason, string description);

    /// <summary>
    /// Counts work that goes on after the delivery's callback returned (a module message waiting for its handler),
    /// so a stopping consumer waits for it too.
    /// </summary>
    protected void Track(Task work)
    {
        Interlocked.Increment(ref _running);
        work.ContinueWith(static (_, state) => Interlocked.Decrement(ref ((QueueConsumer)state!)._running), this,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        Interlocked.Increment(ref _running);
        var channel = ((AsyncEventingBasicConsumer)sender).Channel;
        try
        {
            if (delivery.Body.Length > Bridge.Options.MaxMessageSize)
            {
                Interlocked.Increment(ref _rejected);
                await RejectAsync(channel, delivery, "message-too-large",
                    $"The body is {delivery.Body.Length} bytes, more than RabbitMQOptions.MaxMessageSize ({Bridge.Options.MaxMessageSize} bytes).").ConfigureAwait(false);
                return;
            }
            if (!IsJson(delivery.BasicProperties.ContentType))
            {
                Interlocked.Increment(ref _rejected);
                await RejectAsync(channel, delivery, "unsupported-content-type",
                    $"The content type is '{delivery.BasicProperties.ContentType}'; the bridge reads application/json only.").ConfigureAwait(false);
                return;
            }
            await HandleAsync(channel, delivery).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Bridge.Stopping.IsCancellationRequested)
        {
            // Stopping: unacknowledged, so redelivered.
        }
        catch (Exception ex)
        {
            // Whatever failed outside the handler's own retries (an idempotency store that throws, a broken header):
            // the delivery goes back to the queue after a pause, never left unacknowledged.
            Log.DeliveryFailed(Bridge.Logger, ex, Queue, delivery.BasicProperties.MessageId);
            await RequeueAfterPauseAsync(channel, delivery).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>Gives a delivery back to the queue after <see cref="RabbitMQOptions.ImmediateRetryDelay"/>.</summary>
    protected async Task RequeueAfterPauseAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            await Task.Delay(Bridge.Options.ImmediateRetryDelay, Bridge.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // stopping: the channel's close requeues it
        }
        await RequeueAsync(channel, delivery.DeliveryTag).ConfigureAwait(false);
    }

    /// <summary>Gives a delivery back to the queue at once.</summary>
    protected static async Task RequeueAsync(IChannel channel, ulong deliveryTag)
    {
        try
        {
            await channel.BasicNackAsync(deliveryTag, multiple: false, requeue: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException)
        {
            // Closed with its channel: unacknowledged messages return to the queue anyway.
        }
    }

    // No content type is taken as JSON (a hand-published message); anything else that is not JSON is refused.
    private static bool IsJson(string? contentType) =>
        contentType is null || contentType.Length == 0
        || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && (contentType.Length == 16 || contentType[16] is ';' or ' ');
}
