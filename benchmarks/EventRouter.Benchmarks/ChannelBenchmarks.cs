using BenchmarkDotNet.Attributes;

namespace EventRouter.Benchmarks;

/// <summary>
/// Dispatch loop and module servers against raw channels, per item (OperationsPerInvoke): each invocation sends
/// 1,000 items and waits until all are handled (throughput), or runs 1,000 requests (latency).
/// </summary>
[MemoryDiagnoser]
public class ChannelCases
{
    private const int Items = 1000;
    private readonly ChannelScenarios _c = new();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "raw bounded Channel<T> + 1 consumer: event")]
    public void RawEvents() => _c.RawChannelEvents(Items);

    [Benchmark(OperationsPerInvoke = Items, Description = "dispatch loop (1 lane): event")]
    public void DispatchLoop() => _c.DispatchLoop(Items);

    [Benchmark(OperationsPerInvoke = Items, Description = "raw Channel: command")]
    public void RawCommands() => _c.RawChannelCommands(Items);

    [Benchmark(OperationsPerInvoke = Items, Description = "module server: command")]
    public void ModuleCommands() => _c.ModuleCommands(Items);

    [Benchmark(OperationsPerInvoke = Items, Description = "raw Channel + pooled MRVTSC reply: request, 1 caller")]
    public void RawRequestsIdle() => _c.RawRequestsIdle(Items);

    [Benchmark(OperationsPerInvoke = Items, Description = "module server: request, 1 caller (idle module)")]
    public void ModuleRequestsIdle() => _c.ModuleRequestsIdle(Items);

    [Benchmark(OperationsPerInvoke = Items, Description = "raw Channel + pooled MRVTSC reply: request, 4 callers")]
    public void RawRequestsContended() => _c.RawRequestsContended(Items);

    [Benchmark(OperationsPerInvoke = Items, Description = "module server: request, 4 callers")]
    public void ModuleRequestsContended() => _c.ModuleRequestsContended(Items);
}
