using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventRouter.RabbitMQ;

/// <summary>The module half of the bridge: the queues of served modules, and the reply channel of called ones.</summary>
internal sealed partial class RabbitMQBridge
{
    /// <summary>RabbitMQ's direct reply-to pseudo-queue: replies come straight back on the requesting channel, no reply queue.</summary>
    internal const string DirectReplyTo = "amq.rabbitmq.reply-to";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<RemoteReply>> _pendingReplies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RemoteStreamReader> _streamReaders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServedStream> _servedStreams = new(StringComparer.Ordinal);
    private long _malformedStreamMessages;
    private readonly SemaphoreSlim _replyChannelGate = new(1, 1);
    private readonly List<ModuleQueueConsumer> _moduleConsumers = new();
    private IChannel? _replyChannel;

    /// <summary>The consumers of served module queues, for tests and diagnostics.</summary>
    internal IReadOnlyList<ModuleQueueConsumer> ModuleConsumers => _moduleConsumers;

    internal IModuleTransport CreateModuleTransport(CalledModule module) =>
        new RabbitMQModuleTransport(this, module.Queue, module.ModuleName, module.Timeout ?? _options.ModuleRequestTimeout);

    /// <summary>
    /// Checks, before connecting, that the serializer context covers every message type of the served and called
    /// modules, and builds the served modules' consumers.
    /// </summary>
    private List<ModuleQueueConsumer> BuildModulePlan()
    {
        var consumers = new List<ModuleQueueConsumer>();
        foreach (var called in _options.CalledModules)
        {
            called.ResolveMessages(Services)(new ModuleTypeCheck(this, called.ModuleName));
        }
        foreach (var served in _options.ServedModules)
        {
            var handlers = new ModuleHandlerTable(this, served.ModuleName);
            var (visit, options) = served.Resolve(Services);
            visit(handlers);
            consumers.Add(new ModuleQueueConsumer(this, served.Queue, served.ModuleName, handlers.Handlers, options ?? new ModuleServerOptions()));
        }
        return consumers;
    }

    /// <summary>Declares the queues of called modules, so commands sent while the serving service is down wait there.</summary>
    private async Task DeclareCalledModuleQueuesAsync(IConnection connection, CancellationToken cancellationToken)
    {
        if (_options.CalledModules.Count == 0)
        {
            return;
        }
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (channel.ConfigureAwait(false))
        {
            foreach (var called in _options.CalledModules)
            {
                // Declared like the serving side declares it (durable, no arguments), so the two never conflict.
                await channel.QueueDeclareAsync(called.Queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Registers a pending request; its reply completes the returned task.</summary>
    internal TaskCompletionSource<RemoteReply> ExpectReply(string correlationId)
    {
        var reply = new TaskCompletionSource<RemoteReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingReplies[correlationId] = reply;
        return reply;
    }

    internal void ForgetReply(string correlationId) => _pendingReplies.TryRemove(correlationId, out _);

    /// <summary>Stream messages (from either side) that were malformed and ignored, for tests and diagnostics.</summary>
    internal long MalformedStreamMessages => Interlocked.Read(ref _malformedStreamMessages);

    internal void CountMalformedStreamMessage() => Interlocked.Increment(ref _malformedStreamMessages);

    /// <summary>Registers a stream read in this process; its items are delivered to <paramref name="reader"/>.</summary>
    internal void ExpectStream(string correlationId, RemoteStreamReader reader) => _streamReaders[correlationId] = reader;

    internal void ForgetStream(string correlationId) => _streamReaders.TryRemove(correlationId, out _);

    /// <summary>Registers a stream served by this process; false when one with that correlation id is running.</summary>
    internal bool TryAddServedStream(ServedStream stream) => _servedStreams.TryAdd(stream.Id, stream);

    internal void RemoveServedStream(ServedStream stream) => _servedStreams.TryRemove(new KeyValuePair<string, ServedStream>(stream.Id, stream));

    /// <summary>
    /// Sends a reader's <c>credit</c> or <c>cancel</c> to the serving side's direct reply-to address. Not confirmed and
    /// never thrown: a control message that cannot be sent means the reply channel closed, which fails the stream anyway.
    /// </summary>
    internal async Task SendStreamControlAsync(string address, string correlationId, string kind, long credit)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal) { [RabbitMQHeaders.Stream] = kind };
        if (kind == StreamMessages.Credit)
        {
            headers[RabbitMQHeaders.StreamCredit] = credit;
        }
        var properties = new BasicProperties { CorrelationId = correlationId, Headers = headers };
        try
        {
            if (_replyChannel is { IsOpen: true } channel)
            {
                await channel.BasicPublishAsync(string.Empty, address, mandatory: false, properties, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is global::RabbitMQ.Client.Exceptions.AlreadyClosedException
            or global::RabbitMQ.Client.Exceptions.OperationInterruptedException or ObjectDisposedException)
        {
            // Closed meanwhile: the channel's shutdown ends the stream on both sides.
        }
    }

    /// <summary>
    /// Publishes one message of a served stream to its reader, on the reply channel: its <c>reply-to</c> (direct
    /// reply-to again) is the address the reader's credit and cancel come back to.
    /// </summary>
    internal async Task PublishStreamMessageAsync(ServedStream stream, string kind, long sequence, ReadOnlyMemory<byte> body, Dictionary<string, object?>? headers, CancellationToken cancellationToken)
    {
        headers ??= new Dictionary<string, object?>(StringComparer.Ordinal);
        headers[RabbitMQHeaders.Stream] = kind;
        headers[RabbitMQHeaders.StreamSequence] = sequence;
        var properties = new BasicProperties
        {
            CorrelationId = stream.Id,
            ReplyTo = DirectReplyTo,
            ContentType = "application/json",
            Headers = headers,
        };
        var channel = await GetReplyChannelAsync(cancellationToken).ConfigureAwait(false);
        await channel.BasicPublishAsync(string.Empty, stream.ReaderAddress, mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The channel requests are published on and replies arrive on (direct reply-to needs both on one channel). Created
    /// on first use; the connection's recovery restores its consumer.
    /// </summary>
    internal async Task<IChannel> GetReplyChannelAsync(CancellationToken cancellationToken)
    {
        if (_replyChannel is { IsOpen: true } open)
        {
            return open;
        }
        await _replyChannelGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_replyChannel is { IsOpen: true } raced)
            {
                return raced;
            }
            var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (_replyChannel is { } closed)
            {
                if (!connection.IsOpen)
                {
                    // Closed with its connection: it comes back with the connection's recovery.
                    throw new global::RabbitMQ.Client.Exceptions.AlreadyClosedException(closed.CloseReason ?? new ShutdownEventArgs(ShutdownInitiator.Library, 0, "reply channel closed"));
                }
                closed.Dispose();
            }
            var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += OnReplyAsync;
            await channel.BasicConsumeAsync(DirectReplyTo, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
            channel.ChannelShutdownAsync += (_, e) =>
            {
                // Every reply still awaited was addressed to this channel: none of them can arrive any more. The same
                // holds for the items of streams read here, and for the credit of streams served from here.
                var reason = $"{e.ReplyCode} {e.ReplyText}";
                foreach (var pending in _pendingReplies)
                {
                    if (_pendingReplies.TryRemove(pending))
                    {
                        pending.Value.TrySetException(new ReplyLostException(reason));
                    }
                }
                foreach (var reader in _streamReaders)
                {
                    if (_streamReaders.TryRemove(reader))
                    {
                        reader.Value.Fail(new ReplyLostException(reason));
                    }
                }
                foreach (var served in _servedStreams.Values)
                {
                    served.Leave();
                }
                return Task.CompletedTask;
            };
            _replyChannel = channel;
            return channel;
        }
        finally
        {
            _replyChannelGate.Release();
        }
    }

    private Task OnReplyAsync(object sender, BasicDeliverEventArgs delivery)
    {
        var properties = delivery.BasicProperties;
        var id = properties.CorrelationId;
        var kind = Deliveries.ReadString(properties.Headers, RabbitMQHeaders.Stream);
        if (kind is StreamMessages.Credit or StreamMessages.Cancel)
        {
            OnStreamControl(id, kind, properties.Headers);
            return Task.CompletedTask;
        }
        if (id is null)
        {
            if (kind is not null)
            {
                CountMalformedStreamMessage();
                Log.StreamControlMalformed(Logger, "no correlation id", kind, null);
            }
            return Task.CompletedTask;
        }
        // A reply nobody waits for any more (its caller timed out) is dropped.
        if (_pendingReplies.TryRemove(id, out var pending))
        {
            // Copied: the delivery's buffer is returned to the pool when this handler returns.
            pending.TrySetResult(new RemoteReply(delivery.Body.ToArray(), properties.Headers));
        }
        else if (_streamReaders.TryGetValue(id, out var reader))
        {
            reader.Deliver(new StreamMessage(delivery.Body.ToArray(), properties.Headers, properties.ReplyTo));
        }
        else if (kind == StreamMessages.Item && properties.ReplyTo is { Length: > 0 } server)
        {
            // An item of a stream nobody reads any more (its reader left before it knew where the stream came from,
            // or timed out): the serving side is told, so its handler ends instead of waiting for credit.
            return SendStreamControlAsync(server, id, StreamMessages.Cancel, 0);
        }
        else if (kind is not (null or StreamMessages.Item or StreamMessages.End or StreamMessages.Error))
        {
            CountMalformedStreamMessage();
            Log.StreamControlMalformed(Logger, "unknown kind", kind, id);
        }
        return Task.CompletedTask;
    }

    /// <summary>A reader's <c>credit</c> or <c>cancel</c> for a stream served here; anything malformed is logged and ignored.</summary>
    private void OnStreamControl(string? id, string kind, IDictionary<string, object?>? headers)
    {
        if (id is null)
        {
            CountMalformedStreamMessage();
            Log.StreamControlMalformed(Logger, "no correlation id", kind, null);
            return;
        }
        if (!_servedStreams.TryGetValue(id, out var stream))
        {
            // Ended already (the reader's cancel crossed the end), or another instance's: nothing to do.
            return;
        }
        if (kind == StreamMessages.Cancel)
        {
            stream.Leave();
            return;
        }
        var credit = StreamMessages.ReadLong(headers, RabbitMQHeaders.StreamCredit);
        if (credit is not (> 0 and <= int.MaxValue) || !stream.Grant((int)credit.Value))
        {
            CountMalformedStreamMessage();
            Log.StreamControlMalformed(Logger, credit is null ? "no readable credit" : $"credit {credit} out of range", kind, id);
        }
    }

    private async Task CloseModulesAsync()
    {
        ModuleQueueConsumer[] consumers;
        lock (_moduleConsumers)
        {
            consumers = _moduleConsumers.ToArray();
            _moduleConsumers.Clear();
        }
        foreach (var consumer in consumers)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
        var channel = Interlocked.Exchange(ref _replyChannel, null);
        if (channel is not null)
        {
            await SafeCloseAsync(() => channel.CloseAsync()).ConfigureAwait(false);
            channel.Dispose();
        }
        foreach (var pending in _pendingReplies.Values)
        {
            pending.TrySetCanceled();
        }
        foreach (var reader in _streamReaders.Values)
        {
            reader.Fail(new ReplyLostException("the bridge stopped"));
        }
    }
}

/// <summary>A module's reply: the response body, or error headers.</summary>
internal sealed record RemoteReply(ReadOnlyMemory<byte> Body, IDictionary<string, object?>? Headers);
