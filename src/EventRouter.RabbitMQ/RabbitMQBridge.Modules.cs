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
            served.ResolveMessages(Services)(handlers);
            consumers.Add(new ModuleQueueConsumer(this, served.Queue, served.ModuleName, handlers.Handlers));
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
                // Every reply still awaited was addressed to this channel: none of them can arrive any more.
                var reason = $"{e.ReplyCode} {e.ReplyText}";
                foreach (var pending in _pendingReplies)
                {
                    if (_pendingReplies.TryRemove(pending))
                    {
                        pending.Value.TrySetException(new ReplyLostException(reason));
                    }
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
        // A reply nobody waits for any more (its caller timed out) is dropped.
        if (delivery.BasicProperties.CorrelationId is { } id && _pendingReplies.TryRemove(id, out var pending))
        {
            // Copied: the delivery's buffer is returned to the pool when this handler returns.
            pending.TrySetResult(new RemoteReply(delivery.Body.ToArray(), delivery.BasicProperties.Headers));
        }
        return Task.CompletedTask;
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
    }
}

/// <summary>A module's reply: the response body, or error headers.</summary>
internal sealed record RemoteReply(ReadOnlyMemory<byte> Body, IDictionary<string, object?>? Headers);
