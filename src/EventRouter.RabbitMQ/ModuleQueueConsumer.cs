using System;
using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _inFlight = new(StringComparer.Ordinal);
    private readonly ModuleServerOptions _serverOptions;
    // Fired when this consumer stops: running streams end with module-stopped instead of holding the drain.
    private readonly CancellationTokenSource _streamsStopping = new();
    private long _handled;
    private long _streamsLeft;
    private long _failed;
    private long _expired;
    private long _duplicates;
    private long _requeued;

    /// <summary>The <see cref="RabbitMQHeaders.Reason"/> of a stream that ended because the serving module or bridge stopped.</summary>
    internal const string ModuleStoppedReason = "module-stopped";

    /// <summary>The <see cref="RabbitMQHeaders.Reason"/> of a stream whose reader granted no credit within the module's item timeout.</summary>
    internal const string ReaderStalledReason = "reader-stalled";

    public ModuleQueueConsumer(RabbitMQBridge bridge, string queue, string moduleName, IReadOnlyDictionary<string, RemoteHandler> handlers, ModuleServerOptions serverOptions)
        : base(bridge, queue)
    {
        _moduleName = moduleName;
        _handlers = handlers;
        _serverOptions = serverOptions;
    }

    /// <summary>Streams ended early because their reader left: it cancelled, granted no credit in time, or could not be reached.</summary>
    public long StreamsLeft => Interlocked.Read(ref _streamsLeft);

    /// <summary>Ends the streams this consumer serves (the bridge is stopping): their readers get module-stopped.</summary>
    internal Task StopStreamsAsync() => _streamsStopping.CancelAsync();

    /// <summary>Messages the module handled (requests answered, commands run).</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Messages that failed: answered with an error, or moved to the error queue.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Requests dropped unrun because their caller's deadline passed before the module got to them.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    /// <summary>Commands acknowledged without running them again, because the store had them completed already.</summary>
    public long DuplicatesSkipped => Interlocked.Read(ref _duplicates);

    /// <summary>Commands given back to the queue because the module stopped before it ran them.</summary>
    public long Requeued => Interlocked.Read(ref _requeued);

    // Every message this consumer holds is already in the module's own queue (the callback hands it on and returns),
    // so the prefetch is the bound on what waits here; a request whose deadline passes there is skipped at its start.
    protected override ushort PrefetchCount => Bridge.Options.ModulePrefetchCount;

    protected override Task RejectAsync(IChannel channel, BasicDeliverEventArgs delivery, string reason, string description) =>
        FailAsync(channel, delivery, reason, description, null);

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

        var activity = Deliveries.StartActivity(
            Bridge.Server, properties, Queue, handler.IsRequest ? ActivityKind.Server : ActivityKind.Consumer, properties.MessageId);
        activity?.SetTag("eventrouter.module", _moduleName);
        activity?.SetTag("eventrouter.message_type", messageType);
        try
        {
            if (handler is RemoteStreamHandler stream)
            {
                await StartStreamAsync(channel, delivery, stream, messageType, activity).ConfigureAwait(false);
            }
            else if (handler.IsRequest)
            {
                await StartRequestAsync(channel, delivery, handler, messageType, activity).ConfigureAwait(false);
            }
            else
            {
                await StartCommandAsync(channel, delivery, handler, messageType, activity).ConfigureAwait(false);
            }
        }
        catch
        {
            activity?.Dispose();
            throw;
        }
    }

    private async Task StartRequestAsync(IChannel channel, BasicDeliverEventArgs delivery, RemoteHandler handler, string messageType, Activity? activity)
    {
        // A request whose caller has given up is not run: dropped here if its deadline has passed, and skipped by the
        // module (never started) if the deadline passes while it waits behind the module's other work.
        var deadline = StartDeadline(delivery.BasicProperties);
        if (deadline is { IsCancellationRequested: true })
        {
            deadline.Dispose();
            activity?.Dispose();
            await DropExpiredAsync(channel, delivery.DeliveryTag, delivery.BasicProperties, messageType).ConfigureAwait(false);
            return;
        }
        // The body is read before the first await: only a failure to read it needs the delivery's buffer, which is
        // returned to the client's pool when this callback returns.
        var pending = handler.HandleAsync(delivery.Body, deadline?.Token ?? Bridge.Stopping);
        if (pending.IsCompleted)
        {
            await FinishRequestAsync(channel, delivery, pending, deadline, messageType, activity).ConfigureAwait(false);
            return;
        }
        Track(FinishRequestAsync(channel, null, pending, deadline, messageType, activity, delivery.DeliveryTag, delivery.BasicProperties));
    }

    private async Task FinishRequestAsync(
        IChannel channel, BasicDeliverEventArgs? delivery, ValueTask<byte[]?> pending, CancellationTokenSource? deadline, string messageType, Activity? activity,
        ulong deliveryTag = 0, IReadOnlyBasicProperties? detached = null)
    {
        var properties = delivery?.BasicProperties ?? detached!;
        var tag = delivery?.DeliveryTag ?? deliveryTag;
        using var span = activity;
        using var timer = deadline;
        byte[]? response;
        try
        {
            response = await pending.ConfigureAwait(false);
        }
        catch (MalformedMessageException ex) when (delivery is not null)
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
            await RequeueAsync(channel, tag).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !Bridge.Stopping.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "expired");
            await DropExpiredAsync(channel, tag, properties, messageType).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            // The request's handler failed: that is the request's answer, as it would be in process. Not retried.
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            Interlocked.Increment(ref _failed);
            await ReplyAsync(channel, properties, ReadOnlyMemory<byte>.Empty,
                Deliveries.FailureHeaders(null, "handler-failed", Queue, ex.Message, ex)).ConfigureAwait(false);
            await Deliveries.AckAsync(channel, tag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
            return;
        }
        if (response is not null)
        {
            await ReplyAsync(channel, properties, response, headers: null).ConfigureAwait(false);
        }
        Interlocked.Increment(ref _handled);
        await Deliveries.AckAsync(channel, tag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
    }

    private async Task StartStreamAsync(IChannel channel, BasicDeliverEventArgs delivery, RemoteStreamHandler handler, string messageType, Activity? activity)
    {
        var properties = delivery.BasicProperties;
        if (properties.ReplyTo is not { Length: > 0 } replyTo || properties.CorrelationId is not { Length: > 0 } id)
        {
            activity?.Dispose();
            await FailAsync(channel, delivery, "malformed-stream-request",
                "A stream request needs reply-to and correlation_id: its items would have nowhere to go.", null).ConfigureAwait(false);
            return;
        }
        // The same deadline rule as a request: one whose caller gave up before it starts is not run.
        var deadline = StartDeadline(properties);
        if (deadline is { IsCancellationRequested: true })
        {
            deadline.Dispose();
            activity?.Dispose();
            await DropExpiredAsync(channel, delivery.DeliveryTag, properties, messageType).ConfigureAwait(false);
            return;
        }
        var credit = StreamMessages.ReadLong(properties.Headers, RabbitMQHeaders.StreamCredit) is { } granted and > 0
            ? (int)Math.Min(granted, int.MaxValue)
            : _serverOptions.StreamBufferCapacity;
        var stream = new ServedStream(id, replyTo, credit);
        if (!Bridge.TryAddServedStream(stream))
        {
            stream.Dispose();
            deadline?.Dispose();
            activity?.Dispose();
            await FailAsync(channel, delivery, "malformed-stream-request", $"A stream with correlation id {id} is already running here.", null).ConfigureAwait(false);
            return;
        }
        var token = CancellationTokenSource.CreateLinkedTokenSource(deadline?.Token ?? Bridge.Stopping, stream.ReaderGone.Token, _streamsStopping.Token);
        IServedItems items;
        try
        {
            items = handler.Open(delivery.Body, token.Token);
        }
        catch (MalformedMessageException ex)
        {
            Bridge.RemoveServedStream(stream);
            stream.Dispose();
            token.Dispose();
            deadline?.Dispose();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.Dispose();
            await FailAsync(channel, delivery, "malformed-json", ex.Message, ex.InnerException).ConfigureAwait(false);
            return;
        }
        // The first item's credit is the request's own; asking for it now queues the stream in the module, in order
        // with the messages before it, before this callback returns.
        stream.TryTakeCredit();
        var first = items.MoveNextAsync();
        Track(ServeStreamAsync(channel, delivery.DeliveryTag, properties, stream, items, first, token, deadline, messageType, activity));
    }

    /// <summary>
    /// Forwards a served stream's items to its reader, one per credit, in order, numbered; then <c>end</c>, or
    /// <c>error</c> with the reason. The request is acknowledged once the stream has started (a stream is never run
    /// twice); until then it is given back if the module stops, and dropped if its deadline passes.
    /// </summary>
    private async Task ServeStreamAsync(
        IChannel channel, ulong tag, IReadOnlyBasicProperties properties, ServedStream stream, IServedItems items, ValueTask<bool> first,
        CancellationTokenSource token, CancellationTokenSource? deadline, string messageType, Activity? activity)
    {
        using var span = activity;
        long sent = 0;
        var started = false;
        string? left = null;
        try
        {
            var next = first;
            while (true)
            {
                var more = await next.ConfigureAwait(false);
                if (!started)
                {
                    started = true;
                    // The deadline is the caller's wait for the first item; from here each wait has the item timeout.
                    deadline?.CancelAfter(Timeout.InfiniteTimeSpan);
                    if (deadline is { IsCancellationRequested: true })
                    {
                        throw new OperationCanceledException(deadline.Token);
                    }
                    await Deliveries.AckAsync(channel, tag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
                }
                if (!more)
                {
                    break;
                }
                await Bridge.PublishStreamMessageAsync(stream, StreamMessages.Item, sent, items.SerializeCurrent(), null, token.Token).ConfigureAwait(false);
                sent++;
                // Credit for the next item before the module is asked for it: a reader that stops granting stops the
                // handler within the module's own buffer.
                if (!await stream.TakeCreditAsync(_serverOptions.StreamItemTimeout, token.Token).ConfigureAwait(false))
                {
                    left = "its reader granted no credit within " + _serverOptions.StreamItemTimeout;
                    await PublishEndAsync(stream, sent, Deliveries.FailureHeaders(null, ReaderStalledReason, Queue,
                        $"The reader took no item for {_serverOptions.StreamItemTimeout}; the stream was ended to free the module.", null)).ConfigureAwait(false);
                    break;
                }
                next = items.MoveNextAsync();
            }
            if (left is null)
            {
                await PublishEndAsync(stream, sent, null).ConfigureAwait(false);
                Interlocked.Increment(ref _handled);
            }
        }
        catch (Exception ex) when (Stopping(ex))
        {
            if (!started)
            {
                // Not started: given back, as a request is, so another instance serves it.
                _ = CancelAsync(CancellationToken.None);
                await RequeueAsync(channel, tag).ConfigureAwait(false);
                return;
            }
            if (ex is ModuleStoppedException)
            {
                _ = CancelAsync(CancellationToken.None);
            }
            await PublishEndAsync(stream, sent, Deliveries.FailureHeaders(null, ModuleStoppedReason, Queue, new ModuleStoppedException(_moduleName).Message, null)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stream.ReaderGone.IsCancellationRequested)
        {
            left = "its reader left";
            if (!started)
            {
                await Deliveries.AckAsync(channel, tag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!started && deadline is { IsCancellationRequested: true })
        {
            activity?.SetStatus(ActivityStatusCode.Error, "expired");
            await DropExpiredAsync(channel, tag, properties, messageType).ConfigureAwait(false);
        }
        catch (Exception ex) when (started && IsChannelGone(ex))
        {
            left = "its reader can no longer be reached (" + ex.Message + ")";
        }
        catch (Exception ex)
        {
            // The handler (or its filters, or the module server) failed: that ends the stream, as it would in process.
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            Interlocked.Increment(ref _failed);
            await PublishEndAsync(stream, sent, Deliveries.FailureHeaders(null, "handler-failed", Queue, ex.Message, ex)).ConfigureAwait(false);
            if (!started)
            {
                await Deliveries.AckAsync(channel, tag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
            }
        }
        finally
        {
            Bridge.RemoveServedStream(stream);
            try
            {
                // Ends the handler's enumeration (its token is cancelled, its finally blocks run on the module).
                await items.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.DeliveryFailed(Bridge.Logger, ex, Queue, properties.MessageId);
            }
            token.Dispose();
            deadline?.Dispose();
            stream.Dispose();
        }
        if (left is not null)
        {
            Interlocked.Increment(ref _streamsLeft);
            Log.StreamAbandoned(Bridge.Logger, Queue, messageType, properties.CorrelationId, sent, left);
        }
    }

    private bool Stopping(Exception ex) =>
        ex is ModuleStoppedException
        || (ex is OperationCanceledException && (Bridge.Stopping.IsCancellationRequested || _streamsStopping.IsCancellationRequested));

    private static bool IsChannelGone(Exception ex) =>
        ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException or System.IO.IOException;

    /// <summary>The stream's last message (<c>end</c>, or <c>error</c> when <paramref name="failure"/> has the reason); not confirmed, never thrown.</summary>
    private async Task PublishEndAsync(ServedStream stream, long sent, Dictionary<string, object?>? failure)
    {
        try
        {
            await Bridge.PublishStreamMessageAsync(stream, failure is null ? StreamMessages.End : StreamMessages.Error, sent,
                ReadOnlyMemory<byte>.Empty, failure, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsChannelGone(ex) || ex is OperationCanceledException or BrokerConnectionException)
        {
            // The reply channel is gone: the reader's side fails with the connection's loss instead.
        }
    }

    private async Task StartCommandAsync(IChannel channel, BasicDeliverEventArgs delivery, RemoteHandler handler, string messageType, Activity? activity)
    {
        var properties = delivery.BasicProperties;
        // Commands are de-duplicated like events: a publish retried after a lost confirm, or a redelivery after a lost
        // ack, runs once (across restarts too with a durable store).
        var key = properties.MessageId is { } id ? Deliveries.DeduplicationKey(id, messageType, delivery.Body.Span) : null;
        // A second copy in hand while the first still runs (the callback returns before the command completes) waits
        // for the first, then finds it in the store.
        TaskCompletionSource? gate = null;
        if (key is not null)
        {
            gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            while (!_inFlight.TryAdd(key, gate))
            {
                if (_inFlight.TryGetValue(key, out var other))
                {
                    await other.Task.ConfigureAwait(false);
                }
            }
        }
        var finished = false;
        try
        {
            finished = await StartCommandAsync(channel, delivery, handler, messageType, activity, key, gate).ConfigureAwait(false);
        }
        finally
        {
            if (!finished && gate is not null)
            {
                _inFlight.TryRemove(new KeyValuePair<string, TaskCompletionSource>(key!, gate));
                gate.TrySetResult();
            }
        }
    }

    /// <summary>True when the command's completion was handed to the background (which then releases its gate).</summary>
    private async Task<bool> StartCommandAsync(IChannel channel, BasicDeliverEventArgs delivery, RemoteHandler handler, string messageType, Activity? activity, string? key, TaskCompletionSource? gate)
    {
        var properties = delivery.BasicProperties;
        if (key is not null && await Bridge.IdempotencyStore.IsCompletedAsync(key, StoreName, Bridge.Stopping).ConfigureAwait(false))
        {
            activity?.Dispose();
            Interlocked.Increment(ref _duplicates);
            Log.Duplicate(Bridge.Logger, Queue, properties.MessageId!);
            await Deliveries.AckAsync(channel, delivery.DeliveryTag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
            return false;
        }
        CommandRun run;
        try
        {
            var body = delivery.Body;
            run = CommandCompletion.Track(() => handler.SendCommandAsync(body, Bridge.Stopping), out var accepted);
            await accepted.ConfigureAwait(false);
        }
        catch (MalformedMessageException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.Dispose();
            await FailAsync(channel, delivery, "malformed-json", ex.Message, ex.InnerException).ConfigureAwait(false);
            return false;
        }
        catch (Exception ex) when (ex is ModuleStoppedException || (ex is OperationCanceledException && Bridge.Stopping.IsCancellationRequested))
        {
            activity?.Dispose();
            _ = CancelAsync(CancellationToken.None);
            await RequeueAsync(channel, delivery.DeliveryTag).ConfigureAwait(false);
            return false;
        }
        catch (Exception ex)
        {
            // A command the module would not take (a full queue that stayed full): back to the queue after a pause,
            // tried again.
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.Dispose();
            await RequeueAfterPauseAsync(channel, delivery).ConfigureAwait(false);
            return false;
        }
        // Acknowledged once the handler completed, not when the module queued it: a command still queued when this
        // process stops or dies goes back to the broker's queue.
        Track(FinishCommandAsync(channel, delivery.DeliveryTag, properties, run, key, gate, messageType, activity));
        return true;
    }

    private async Task FinishCommandAsync(
        IChannel channel, ulong tag, IReadOnlyBasicProperties properties, CommandRun run, string? key, TaskCompletionSource? gate, string messageType, Activity? activity)
    {
        using var span = activity;
        try
        {
            if (run.Server is { } server && !run.Ran.IsCompleted)
            {
                await Task.WhenAny(run.Ran, server.Completion).ConfigureAwait(false);
            }
            var ran = run.Server is null || run.Ran.IsCompleted;
            var failure = run.Ran.IsCompleted ? run.Ran.Result : null;
            if (!ran || (failure is OperationCanceledException && run.ServerStoppedImmediately))
            {
                // Dropped or cut short by a module that stopped immediately: run again, here after a restart or by
                // another instance.
                Interlocked.Increment(ref _requeued);
                Log.CommandRequeued(Bridge.Logger, Queue, messageType, properties.MessageId);
                _ = CancelAsync(CancellationToken.None);
                await RequeueAsync(channel, tag).ConfigureAwait(false);
                return;
            }
            if (failure is not null)
            {
                // The server reported it (log, callback, counter), as for a command sent in process; not run again.
                activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
                Interlocked.Increment(ref _failed);
            }
            else
            {
                Interlocked.Increment(ref _handled);
            }
            if (key is not null)
            {
                await Bridge.IdempotencyStore.MarkCompletedAsync(key, StoreName, CancellationToken.None).ConfigureAwait(false);
            }
            await Deliveries.AckAsync(channel, tag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(Bridge.Logger, ex, Queue, properties.MessageId);
            await RequeueAsync(channel, tag).ConfigureAwait(false);
        }
        finally
        {
            if (gate is not null)
            {
                _inFlight.TryRemove(new KeyValuePair<string, TaskCompletionSource>(key!, gate));
                gate.TrySetResult();
            }
        }
    }

    /// <summary>The name commands of this queue are recorded under in the idempotency store.</summary>
    private string StoreName => "module:" + Queue;

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
    private async Task DropExpiredAsync(IChannel channel, ulong tag, IReadOnlyBasicProperties properties, string messageType)
    {
        Interlocked.Increment(ref _expired);
        Log.RequestExpired(Bridge.Logger, Queue, messageType, properties.MessageId);
        await Deliveries.AckAsync(channel, tag, Bridge.Logger, Queue, properties.MessageId).ConfigureAwait(false);
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
            await ReplyAsync(channel, source, ReadOnlyMemory<byte>.Empty, Deliveries.FailureHeaders(null, reason, Queue, description, exception)).ConfigureAwait(false);
        }
        await MoveToErrorQueueAsync(channel, delivery, headers, reason, source.Type ?? "(unknown)", exception).ConfigureAwait(false);
    }

    /// <summary>Answers a request through its reply-to address. Not confirmed: a lost reply shows as the caller's timeout.</summary>
    private static async Task ReplyAsync(IChannel channel, IReadOnlyBasicProperties request, ReadOnlyMemory<byte> body, Dictionary<string, object?>? headers)
    {
        if (request.ReplyTo is not { Length: > 0 } replyTo)
        {
            return;
        }
        var properties = new BasicProperties
        {
            CorrelationId = request.CorrelationId,
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
}
