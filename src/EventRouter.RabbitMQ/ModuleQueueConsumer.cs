using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EventRouter.RabbitMQ;

/// <summary>
/// Consumes a served module's queue: each message runs through the module's local typed client (so on its server,
/// one at a time, with its filters); a request's response or failure goes back to its <c>reply-to</c> with the
/// request's correlation id. Instances of the serving service compete for the queue.
/// </summary>
internal sealed class ModuleQueueConsumer : QueueConsumer
{
    private readonly string _moduleName;
    private readonly IReadOnlyDictionary<string, RemoteHandler> _handlers;
    private long _handled;
    private long _failed;
    private long _expired;

    public ModuleQueueConsumer(RabbitMQBridge bridge, string queue, string moduleName, IReadOnlyDictionary<string, RemoteHandler> handlers)
        : base(bridge, queue)
    {
        _moduleName = moduleName;
        _handlers = handlers;
    }

    /// <summary>Messages the module handled (requests answered, commands accepted).</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Messages that failed: answered with an error, or moved to the error queue.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Requests dropped unrun because their caller's deadline passed before the module got to them.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    protected override async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        var properties = delivery.BasicProperties;
        var messageType = Deliveries.ReadString(properties.Headers, RabbitMQHeaders.MessageType) ?? properties.Type;
        if (messageType is null || !_handlers.TryGetValue(messageType, out var handler))
        {
            await FailAsync(channel, delivery, "unknown-message-type",
                $"Module '{_moduleName}' handles no message of type '{messageType ?? "(no message type header)"}'.", null).ConfigureAwait(false);
            return;
        }

        using var activity = Deliveries.StartActivity(
            properties, $"{_moduleName} {messageType} process", handler.IsRequest ? ActivityKind.Server : ActivityKind.Consumer, properties.MessageId);
        activity?.SetTag("eventrouter.module", _moduleName);
        // A request whose caller has given up is not run: dropped here if its deadline has passed, and skipped by the
        // module (never started) if the deadline passes while it waits behind the module's other work.
        using var deadline = handler.IsRequest ? StartDeadline(properties) : null;
        if (deadline is { IsCancellationRequested: true })
        {
            await DropExpiredAsync(channel, delivery, messageType).ConfigureAwait(false);
            return;
        }
        byte[]? response;
        try
        {
            response = await handler.HandleAsync(delivery.Body, deadline?.Token ?? Bridge.Stopping).ConfigureAwait(false);
        }
        catch (MalformedMessageException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            await FailAsync(channel, delivery, "malformed-json", ex.Message, ex.InnerException).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is ModuleStoppedException || (ex is OperationCanceledException && Bridge.Stopping.IsCancellationRequested))
        {
            // This instance's module is going away: stop taking its messages and give this one back, so another
            // instance (or this service after a restart) handles it.
            // Not awaited: the cancel's confirmation is dispatched behind this very callback.
            _ = CancelAsync(CancellationToken.None);
            await RequeueAsync(channel, delivery).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !Bridge.Stopping.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "expired");
            await DropExpiredAsync(channel, delivery, messageType).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (!handler.IsRequest)
        {
            // A command the module would not take (a full queue that stayed full): back to the queue after a pause,
            // tried again.
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            await Task.Delay(Bridge.Options.ImmediateRetryDelay, CancellationToken.None).ConfigureAwait(false);
            await RequeueAsync(channel, delivery).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            // The request's handler failed: that is the request's answer, as it would be in process. Not retried.
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            Interlocked.Increment(ref _failed);
            await ReplyAsync(channel, delivery, ReadOnlyMemory<byte>.Empty,
                Deliveries.FailureHeaders(null, "handler-failed", Queue, ex.Message, ex)).ConfigureAwait(false);
            await Deliveries.AckAsync(channel, delivery, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
            return;
        }

        if (response is not null)
        {
            await ReplyAsync(channel, delivery, response, headers: null).ConfigureAwait(false);
        }
        Interlocked.Increment(ref _handled);
        await Deliveries.AckAsync(channel, delivery, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
    }

    /// <summary>
    /// A source cancelled at the request's deadline (and when the bridge stops), already cancelled if the deadline
    /// has passed; null for a request that carries no deadline.
    /// </summary>
    private CancellationTokenSource? StartDeadline(IReadOnlyBasicProperties properties)
    {
        if (RemoteModuleMessages.ReadDeadline(properties.Headers) is not { } deadline)
        {
            return null;
        }
        var source = CancellationTokenSource.CreateLinkedTokenSource(Bridge.Stopping);
        var left = deadline - DateTimeOffset.UtcNow;
        if (left <= TimeSpan.Zero)
        {
            source.Cancel();
        }
        else if (left < MaxTimerDelay)
        {
            source.CancelAfter(left);
        }
        return source;
    }

    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    /// <summary>Acknowledges a request its caller no longer waits for, without running it or answering it.</summary>
    private async Task DropExpiredAsync(IChannel channel, BasicDeliverEventArgs delivery, string messageType)
    {
        Interlocked.Increment(ref _expired);
        Log.RequestExpired(Bridge.Logger, Queue, messageType, delivery.BasicProperties.MessageId);
        await Deliveries.AckAsync(channel, delivery, Bridge.Logger, Queue, delivery.BasicProperties.MessageId).ConfigureAwait(false);
    }

    /// <summary>
    /// A message the module cannot read: a request's caller gets the reason at once; the message itself goes to the
    /// error queue with the reason in its headers, and the consumer goes on.
    /// </summary>
    private async Task FailAsync(IChannel channel, BasicDeliverEventArgs delivery, string reason, string description, Exception? exception)
    {
        Interlocked.Increment(ref _failed);
        var source = delivery.BasicProperties;
        var headers = Deliveries.FailureHeaders(source.Headers, reason, Queue, description, exception);
        if (source.ReplyTo is not null)
        {
            await ReplyAsync(channel, delivery, ReadOnlyMemory<byte>.Empty, Deliveries.FailureHeaders(null, reason, Queue, description, exception)).ConfigureAwait(false);
        }
        await MoveToErrorQueueAsync(channel, delivery, headers, reason, source.Type ?? "(unknown)", exception).ConfigureAwait(false);
    }

    /// <summary>Answers a request through its reply-to address. Not confirmed: a lost reply shows as the caller's timeout.</summary>
    private static async Task ReplyAsync(IChannel channel, BasicDeliverEventArgs delivery, ReadOnlyMemory<byte> body, Dictionary<string, object?>? headers)
    {
        if (delivery.BasicProperties.ReplyTo is not { Length: > 0 } replyTo)
        {
            return;
        }
        var properties = new BasicProperties
        {
            CorrelationId = delivery.BasicProperties.CorrelationId,
            ContentType = "application/json",
            Headers = headers,
        };
        try
        {
            await channel.BasicPublishAsync(string.Empty, replyTo, mandatory: false, properties, body).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException)
        {
            // The channel died: the request is redelivered (unacknowledged) and answered again, or the caller times out.
        }
    }

    private static async Task RequeueAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException)
        {
            // Closed with its channel: unacknowledged messages return to the queue anyway.
        }
    }
}
