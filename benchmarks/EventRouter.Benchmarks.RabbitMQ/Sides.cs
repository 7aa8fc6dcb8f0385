using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.RabbitMQ;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>Events and their JSON bytes, with ids unique in this process (the de-dup store must never match).</summary>
public sealed class Payloads
{
    private static long _nextId;

    public Payloads(int count)
    {
        Events = new OrderPlaced[count];
        Bodies = new byte[count][];
        Refill();
    }

    public OrderPlaced[] Events { get; }

    /// <summary>What the bridge's serializer writes for <see cref="Events"/>: the raw baseline publishes exactly these bytes.</summary>
    public byte[][] Bodies { get; }

    /// <summary>New ids for every event (outside the timed region).</summary>
    public void Refill()
    {
        for (var i = 0; i < Events.Length; i++)
        {
            var id = Interlocked.Increment(ref _nextId);
            Events[i] = new OrderPlaced($"o-{Environment.ProcessId}-{id}", $"c-{id % 1000}", 19.99m + i % 100);
            Bodies[i] = JsonSerializer.SerializeToUtf8Bytes(Events[i], BenchJsonContext.Default.OrderPlaced);
        }
    }
}

/// <summary>Runs <c>count</c> publishes with <c>concurrency</c> of them outstanding at any time.</summary>
public static class Driver
{
    public static async Task RunAsync(int count, int concurrency, Func<int, ValueTask> publish)
    {
        if (concurrency == 1)
        {
            for (var i = 0; i < count; i++)
            {
                await publish(i).ConfigureAwait(false);
            }
            return;
        }
        var next = -1;
        var workers = new Task[concurrency];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Worker();
        }
        await Task.WhenAll(workers).ConfigureAwait(false);

        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await publish(i).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// The baseline: RabbitMQ.Client 7.1.2 as its documentation shows it — one connection, one channel with publisher
/// confirmations and confirmation tracking (so <c>BasicPublishAsync</c> returns when the broker confirmed), the
/// properties the bridge writes, the bridge's bytes. With tracking on, the client adds its sequence-number header to
/// the properties' header dictionary, so each publish needs its own dictionary here too.
/// </summary>
public sealed class RawPublisher : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _exchange;

    private RawPublisher(IConnection connection, IChannel channel, string exchange)
    {
        _connection = connection;
        _channel = channel;
        _exchange = exchange;
    }

    public IConnection Connection => _connection;

    public static async Task<RawPublisher> CreateAsync(string uri, string exchange)
    {
        var connection = await BenchTopology.ConnectAsync(uri, "bench-raw");
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return new RawPublisher(connection, channel, exchange);
    }

    public ValueTask PublishAsync(OrderPlaced @event, byte[] body)
    {
        var properties = new BasicProperties
        {
            MessageId = @event.Id,
            Type = BenchTopology.EventName,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            AppId = BenchTopology.ServiceNames[0],
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            Headers = new Dictionary<string, object?>(1) { [RabbitMQHeaders.EventName] = BenchTopology.EventName },
        };
        return _channel.BasicPublishAsync(_exchange, string.Empty, mandatory: false, properties, body);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        _channel.Dispose();
        await _connection.CloseAsync();
        _connection.Dispose();
    }
}

/// <summary>
/// The end-to-end baseline's consumer: <c>AsyncEventingBasicConsumer</c> on its own channel with the same prefetch and
/// dispatch concurrency as the bridge's listener consumer, deserializing with the same JSON metadata, counting, then
/// acknowledging each message.
/// </summary>
public sealed class RawConsumer : IAsyncDisposable
{
    private readonly IChannel _channel;

    private RawConsumer(IChannel channel) => _channel = channel;

    public static async Task<RawConsumer> StartAsync(IConnection connection, ushort prefetch, ushort concurrency)
    {
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false, consumerDispatchConcurrency: concurrency));
        await BenchTopology.DeclareBoundQueueAsync(channel, BenchTopology.RawExchange, BenchTopology.RawQueue);
        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: prefetch, global: false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += static async (sender, delivery) =>
        {
            var @event = JsonSerializer.Deserialize(delivery.Body.Span, BenchJsonContext.Default.OrderPlaced);
            if (@event is not null)
            {
                Arrivals.Seen();
            }
            await ((AsyncEventingBasicConsumer)sender).Channel.BasicAckAsync(delivery.DeliveryTag, multiple: false).ConfigureAwait(false);
        };
        await channel.BasicConsumeAsync(BenchTopology.RawQueue, autoAck: false, consumer);
        return new RawConsumer(channel);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        _channel.Dispose();
    }
}

/// <summary>One "service instance" of the bridge: a container with the generated router and AddEventRouterRabbitMQ, started like a host starts it.</summary>
public sealed class BridgeHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly IHostedService[] _hosted;

    private BridgeHost(ServiceProvider provider)
    {
        _provider = provider;
        _hosted = provider.GetServices<IHostedService>().ToArray();
        Publisher = provider.GetRequiredService<IBrokerPublisher>();
    }

    public IBrokerPublisher Publisher { get; }

    public string ServiceName { get; private init; } = "";

    /// <param name="consume">False for the publish cases: no listener queue.</param>
    /// <param name="store">Null: the bridge's default (an InMemoryIdempotencyStore of 100,000 pairs).</param>
    public static async Task<BridgeHost> StartAsync(string uri, string serviceName, bool consume, ushort prefetch = 32, ushort concurrency = 1, IIdempotencyStore? store = null)
    {
        var services = new ServiceCollection();
        services.AddEventRouter();
        services.AddEventRouterRabbitMQ(o =>
        {
            o.ConnectionString = uri;
            o.ServiceName = serviceName;
            o.JsonContext = BenchJsonContext.Default;
            o.CrossBroker<OrderPlaced>();
            o.Consume = consume;
            o.PrefetchCount = prefetch;
            o.ConsumerConcurrency = concurrency;
            o.IdempotencyStore = store;
        });
        var host = new BridgeHost(services.BuildServiceProvider()) { ServiceName = serviceName };
        foreach (var hosted in host._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var hosted in _hosted.Reverse())
        {
            await hosted.StopAsync(stop.Token);
        }
        await _provider.DisposeAsync();
    }
}
