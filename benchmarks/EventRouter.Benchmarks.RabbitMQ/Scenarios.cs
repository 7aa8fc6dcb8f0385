using System;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.RabbitMQ;
using RabbitMQ.Client;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>
/// Publish with confirms: the bridge (<see cref="IBrokerPublisher.PublishAsync{TEvent}"/>) and the raw client publish
/// the same events to the same durable fanout exchange. <see cref="SetDestinationAsync"/> binds a durable queue to it
/// (a confirm then means "persisted in a queue", as in a deployment with listeners; nobody consumes it and
/// <see cref="PurgeAsync"/> empties it) or unbinds it (the broker confirms unroutable messages at once, so the time is
/// the client, the network and the broker's routing, without the disk).
/// </summary>
public sealed class PublishScenario : IAsyncDisposable
{
    private readonly string _uri;
    private readonly IConnection _admin;
    private readonly IChannel _adminChannel;
    private readonly BridgeHost _bridge;
    private readonly RawPublisher _raw;
    private readonly Payloads _payloads = new(4096);

    private PublishScenario(string uri, IConnection admin, IChannel adminChannel, BridgeHost bridge, RawPublisher raw)
    {
        _uri = uri;
        _admin = admin;
        _adminChannel = adminChannel;
        _bridge = bridge;
        _raw = raw;
    }

    public static async Task<PublishScenario> CreateAsync(string uri)
    {
        await BenchTopology.ResetAsync(uri);
        var admin = await BenchTopology.ConnectAsync(uri, "bench-admin");
        var adminChannel = await admin.CreateChannelAsync();
        await BenchTopology.DeclareBoundQueueAsync(adminChannel, BenchTopology.EventName, BenchTopology.SinkQueue);
        var bridge = await BridgeHost.StartAsync(uri, BenchTopology.ServiceNames[0], consume: false);
        var raw = await RawPublisher.CreateAsync(uri, BenchTopology.EventName);
        var scenario = new PublishScenario(uri, admin, adminChannel, bridge, raw);
        await scenario.CheckSameMessageAsync();
        return scenario;
    }

    public Task BridgeAsync(int count, int concurrency)
    {
        var events = _payloads.Events;
        var publisher = _bridge.Publisher;
        return Driver.RunAsync(count, concurrency, i => new ValueTask(publisher.PublishAsync(events[i % events.Length]).AsTask()));
    }

    public Task RawAsync(int count, int concurrency)
    {
        var events = _payloads.Events;
        var bodies = _payloads.Bodies;
        var raw = _raw;
        return Driver.RunAsync(count, concurrency, i => raw.PublishAsync(events[i % events.Length], bodies[i % bodies.Length]));
    }

    public async Task PurgeAsync() => await _adminChannel.QueuePurgeAsync(BenchTopology.SinkQueue);

    /// <param name="durableQueue">True: confirmed messages land in the durable sink queue. False: nothing is bound.</param>
    public async Task SetDestinationAsync(bool durableQueue)
    {
        if (durableQueue)
        {
            await _adminChannel.QueueBindAsync(BenchTopology.SinkQueue, BenchTopology.EventName, string.Empty);
        }
        else
        {
            await _adminChannel.QueueUnbindAsync(BenchTopology.SinkQueue, BenchTopology.EventName, string.Empty);
        }
        await PurgeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _raw.DisposeAsync();
        await _bridge.DisposeAsync();
        await _adminChannel.CloseAsync();
        await _admin.CloseAsync();
        _admin.Dispose();
        await BenchTopology.ResetAsync(_uri);
    }

    /// <summary>Publishes one message from each side and fails unless body and properties match (ids and timestamps aside).</summary>
    private async Task CheckSameMessageAsync()
    {
        await PurgeAsync();
        await BridgeAsync(1, 1);
        await RawAsync(1, 1);
        var ours = await _adminChannel.BasicGetAsync(BenchTopology.SinkQueue, autoAck: true);
        var raw = await _adminChannel.BasicGetAsync(BenchTopology.SinkQueue, autoAck: true);
        if (ours is null || raw is null)
        {
            throw new InvalidOperationException("the check messages did not arrive in " + BenchTopology.SinkQueue);
        }
        var a = Describe(ours);
        var b = Describe(raw);
        if (a != b)
        {
            throw new InvalidOperationException($"the two sides publish different messages:\n  bridge: {a}\n  raw:    {b}");
        }
        Console.Error.WriteLine($"# same message from both sides: {a}");
    }

    private static string Describe(BasicGetResult m)
    {
        var p = m.BasicProperties;
        var headers = string.Join(",", (p.Headers ?? new System.Collections.Generic.Dictionary<string, object?>()).Keys.Order(StringComparer.Ordinal));
        return $"body {m.Body.Length} B ({Encoding.UTF8.GetString(m.Body.Span)[..12]}…), type={p.Type}, content-type={p.ContentType}, delivery-mode={p.DeliveryMode}, app-id={p.AppId}, " +
            $"message-id {p.MessageId?.Length} chars, timestamp set={p.IsTimestampPresent()}, headers=[{headers}]";
    }
}

/// <summary>
/// End to end: <c>N</c> events published (64 outstanding) and handled by one listener queue's consumer, timed until
/// the listener saw all of them. The bridge side is a host that publishes and consumes; the raw side is one connection
/// with a confirm channel and an <c>AsyncEventingBasicConsumer</c> (its own exchange and queue).
/// </summary>
public sealed class EndToEndScenario : IAsyncDisposable
{
    public const int PublishConcurrency = 64;

    private readonly string _uri;
    private readonly IConnection _admin;
    private readonly IChannel _adminChannel;
    private readonly BridgeHost[] _bridges;
    private readonly RawPublisher? _raw;
    private readonly RawConsumer? _rawConsumer;

    private EndToEndScenario(string uri, IConnection admin, IChannel adminChannel, BridgeHost[] bridges, RawPublisher? raw, RawConsumer? rawConsumer, int count)
    {
        _uri = uri;
        _admin = admin;
        _adminChannel = adminChannel;
        _bridges = bridges;
        _raw = raw;
        _rawConsumer = rawConsumer;
        Payloads = new Payloads(count);
    }

    public Payloads Payloads { get; }

    /// <param name="stores">One bridge host per entry (null entry: the default in-memory store); host <c>i</c> uses
    /// <see cref="BenchTopology.ServiceNames"/>[i]. Only the host being measured has its queue bound to the exchange.</param>
    public static async Task<EndToEndScenario> CreateAsync(string uri, int count, ushort prefetch, ushort concurrency, bool raw, params IIdempotencyStore?[] stores)
    {
        await BenchTopology.ResetAsync(uri);
        var admin = await BenchTopology.ConnectAsync(uri, "bench-admin");
        var adminChannel = await admin.CreateChannelAsync();
        var bridges = new BridgeHost[stores.Length];
        for (var i = 0; i < stores.Length; i++)
        {
            bridges[i] = await BridgeHost.StartAsync(uri, BenchTopology.ServiceNames[i], consume: true, prefetch, concurrency, stores[i]);
            await adminChannel.QueueUnbindAsync(BenchTopology.ListenerQueue(BenchTopology.ServiceNames[i]), BenchTopology.EventName, string.Empty);
        }
        RawPublisher? rawPublisher = null;
        RawConsumer? rawConsumer = null;
        if (raw)
        {
            rawPublisher = await RawPublisher.CreateAsync(uri, BenchTopology.RawExchange);
            rawConsumer = await RawConsumer.StartAsync(rawPublisher.Connection, prefetch, concurrency);
        }
        return new EndToEndScenario(uri, admin, adminChannel, bridges, rawPublisher, rawConsumer, count);
    }

    /// <summary>Before a timed run of bridge host <paramref name="bridge"/> (or of the raw side when -1): fresh ids, empty queues, only that queue bound.</summary>
    public async Task PrepareAsync(int bridge)
    {
        Payloads.Refill();
        if (_raw is not null)
        {
            await _adminChannel.QueuePurgeAsync(BenchTopology.RawQueue);
        }
        for (var i = 0; i < _bridges.Length; i++)
        {
            var queue = BenchTopology.ListenerQueue(BenchTopology.ServiceNames[i]);
            await _adminChannel.QueuePurgeAsync(queue);
            if (i == bridge)
            {
                await _adminChannel.QueueBindAsync(queue, BenchTopology.EventName, string.Empty);
            }
            else
            {
                await _adminChannel.QueueUnbindAsync(queue, BenchTopology.EventName, string.Empty);
            }
        }
    }

    /// <summary>Timed: publishes every event through bridge host <paramref name="bridge"/> and waits until its listener saw them all.</summary>
    public async Task BridgeAsync(int bridge)
    {
        var events = Payloads.Events;
        var publisher = _bridges[bridge].Publisher;
        var all = Arrivals.Expect(events.Length);
        await Driver.RunAsync(events.Length, PublishConcurrency, i => new ValueTask(publisher.PublishAsync(events[i]).AsTask()));
        await all;
    }

    /// <summary>Timed: the same through the raw publisher and consumer.</summary>
    public async Task RawAsync()
    {
        var events = Payloads.Events;
        var bodies = Payloads.Bodies;
        var raw = _raw ?? throw new InvalidOperationException("created without the raw side");
        var all = Arrivals.Expect(events.Length);
        await Driver.RunAsync(events.Length, PublishConcurrency, i => raw.PublishAsync(events[i], bodies[i]));
        await all;
    }

    public async ValueTask DisposeAsync()
    {
        if (_rawConsumer is not null)
        {
            await _rawConsumer.DisposeAsync();
        }
        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }
        foreach (var bridge in _bridges)
        {
            await bridge.DisposeAsync();
        }
        await _adminChannel.CloseAsync();
        await _admin.CloseAsync();
        _admin.Dispose();
        await BenchTopology.ResetAsync(_uri);
    }
}
