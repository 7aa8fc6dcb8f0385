using BenchmarkDotNet.Attributes;

namespace EventRouter.Benchmarks;

/// <summary>Reactor: TCP echo per message (100 connections, 64 B, one in flight each) and 100k timers per batch.</summary>
[MemoryDiagnoser]
public class ReactorCases
{
    private const int Messages = 2000;
    private readonly ReactorScenarios _r = new();

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "raw Socket echo loop: message")]
    public void EchoRaw() => _r.EchoRaw(Messages);

    [Benchmark(OperationsPerInvoke = Messages, Description = "reactor TcpServer echo: message")]
    public void EchoReactor() => _r.EchoOurs(Messages);

    [Benchmark(Description = "System.Threading.Timer: create + dispose 100k")]
    public void ThreadingTimers() => _r.ThreadingTimers(1);

    [Benchmark(Description = "EventLoop timers: arm + cancel 100k")]
    public void LoopTimers() => _r.LoopTimers(1);
}
