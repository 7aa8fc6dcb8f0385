using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>
/// Publish with confirms, per publish: the bridge's <c>IBrokerPublisher.PublishAsync</c> against raw
/// <c>BasicPublishAsync</c> on a confirm-tracking channel, same bytes and properties, with 1 and 64 publishes
/// outstanding, into no queue (confirmed on routing) or a durable queue (persisted before the confirm). The sink queue
/// is purged after every iteration. One publish at a time into the durable queue waits for an fsync (milliseconds), so
/// that case has its own class with smaller batches: <see cref="PublishOneDurableCases"/>.
/// </summary>
public abstract class PublishCasesBase
{
    private PublishScenario _s = null!;

    protected abstract int Outstanding { get; }

    protected abstract bool DurableQueue { get; }

    [GlobalSetup]
    public async Task Setup()
    {
        _s = await PublishScenario.CreateAsync(Program.BrokerUri);
        await _s.SetDestinationAsync(DurableQueue);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _s.DisposeAsync();

    [IterationCleanup]
    public void Purge() => _s.PurgeAsync().GetAwaiter().GetResult();

    protected Task RawAsync(int count) => _s.RawAsync(count, Outstanding);

    protected Task BridgeAsync(int count) => _s.BridgeAsync(count, Outstanding);
}

[MemoryDiagnoser]
public class PublishCases : PublishCasesBase
{
    public const int Publishes = 10_000;

    [Params("1, no queue", "64, no queue", "64, durable queue")]
    public string Outstanding_Destination { get; set; } = "";

    protected override int Outstanding => int.Parse(Outstanding_Destination.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);

    protected override bool DurableQueue => Outstanding_Destination.EndsWith("durable queue", System.StringComparison.Ordinal);

    [Benchmark(Baseline = true, OperationsPerInvoke = Publishes, Description = "raw BasicPublishAsync, confirm tracking")]
    public Task Raw() => RawAsync(Publishes);

    [Benchmark(OperationsPerInvoke = Publishes, Description = "bridge IBrokerPublisher.PublishAsync")]
    public Task Bridge() => BridgeAsync(Publishes);
}

/// <summary>One publish at a time into a durable queue: each confirm waits for the broker's fsync.</summary>
[MemoryDiagnoser]
public class PublishOneDurableCases : PublishCasesBase
{
    public const int Publishes = 500;

    protected override int Outstanding => 1;

    protected override bool DurableQueue => true;

    [Benchmark(Baseline = true, OperationsPerInvoke = Publishes, Description = "raw BasicPublishAsync, confirm tracking")]
    public Task Raw() => RawAsync(Publishes);

    [Benchmark(OperationsPerInvoke = Publishes, Description = "bridge IBrokerPublisher.PublishAsync")]
    public Task Bridge() => BridgeAsync(Publishes);
}

/// <summary>
/// End to end, per event: 10,000 events published (64 outstanding) until one listener saw all of them; the bridge
/// (publisher + listener consumer, default in-memory de-dup store) against raw publish + AsyncEventingBasicConsumer
/// with manual ack, at each prefetch and consumer concurrency.
/// </summary>
[MemoryDiagnoser]
public class EndToEndCases
{
    public const int Events = 10_000;
    private EndToEndScenario _s = null!;

    [Params((ushort)32, (ushort)100, (ushort)500)]
    public ushort Prefetch { get; set; }

    [Params((ushort)1, (ushort)4)]
    public ushort Concurrency { get; set; }

    [GlobalSetup]
    public async Task Setup() => _s = await EndToEndScenario.CreateAsync(Program.BrokerUri, Events, Prefetch, Concurrency, raw: true, stores: [null]);

    [GlobalCleanup]
    public async Task Cleanup() => await _s.DisposeAsync();

    [IterationSetup(Target = nameof(Raw))]
    public void PrepareRaw() => _s.PrepareAsync(-1).GetAwaiter().GetResult();

    [IterationSetup(Target = nameof(Bridge))]
    public void PrepareBridge() => _s.PrepareAsync(0).GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "raw publish + AsyncEventingBasicConsumer, manual ack")]
    public Task Raw() => _s.RawAsync();

    [Benchmark(OperationsPerInvoke = Events, Description = "bridge publish + listener consumer")]
    public Task Bridge() => _s.BridgeAsync(0);
}

/// <summary>De-duplication overhead, per event: the end-to-end bridge case with the default InMemoryIdempotencyStore against a no-op store.</summary>
[MemoryDiagnoser]
public class DedupCases
{
    public const int Events = 10_000;
    private EndToEndScenario _s = null!;

    [Params((ushort)100)]
    public ushort Prefetch { get; set; }

    [Params((ushort)1, (ushort)4)]
    public ushort Concurrency { get; set; }

    [GlobalSetup]
    public async Task Setup() => _s = await EndToEndScenario.CreateAsync(Program.BrokerUri, Events, Prefetch, Concurrency, raw: false, stores: [null, new NoOpIdempotencyStore()]);

    [GlobalCleanup]
    public async Task Cleanup() => await _s.DisposeAsync();

    [IterationSetup(Target = nameof(NoStore))]
    public void PrepareNoStore() => _s.PrepareAsync(1).GetAwaiter().GetResult();

    [IterationSetup(Target = nameof(InMemoryStore))]
    public void PrepareInMemory() => _s.PrepareAsync(0).GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "bridge end to end, no-op idempotency store")]
    public Task NoStore() => _s.BridgeAsync(1);

    [Benchmark(OperationsPerInvoke = Events, Description = "bridge end to end, InMemoryIdempotencyStore")]
    public Task InMemoryStore() => _s.BridgeAsync(0);
}
