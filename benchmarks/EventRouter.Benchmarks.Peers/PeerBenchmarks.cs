using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace EventRouter.Benchmarks.Peers;

/// <summary>One synchronous handler, through the injected interfaces and through the concrete generated types.</summary>
[MemoryDiagnoser]
public class PublishOneHandler
{
    private readonly Sides _s = new();

    [Benchmark(Baseline = true, Description = "Mediator 3.0.2 IMediator.Publish")]
    public void MediatorInterface() => Sides.Wait(_s.Mediator.Publish(_s.Ping1));

    [Benchmark(Description = "Mediator 3.0.2 concrete Publish")]
    public void MediatorConcrete() => Sides.Wait(_s.MediatorConcrete.Publish(_s.Ping1));

    [Benchmark(Description = "EventRouter IEventPublisher<T>")]
    public void RouterTypedInterface() => Sides.Wait(_s.RouterPing1.PublishAsync(_s.Ping1));

    [Benchmark(Description = "EventRouter IEventPublisher.PublishAsync<T>")]
    public void RouterGenericInterface() => Sides.Wait(_s.Publisher.PublishAsync(_s.Ping1));

    [Benchmark(Description = "EventRouter typed")]
    public void RouterTyped() => Sides.Wait(_s.Router.PublishAsync(_s.Ping1));
}

/// <summary>Ten synchronous handlers, concrete generated types.</summary>
[MemoryDiagnoser]
public class PublishTenHandlers
{
    private readonly Sides _s = new();

    [Benchmark(Baseline = true, Description = "Mediator 3.0.2 concrete Publish")]
    public void MediatorConcrete() => Sides.Wait(_s.MediatorConcrete.Publish(_s.Ping10));

    [Benchmark(Description = "EventRouter typed")]
    public void RouterTyped() => Sides.Wait(_s.Router.PublishAsync(_s.Ping10));
}

/// <summary>One handler that really yields (await Task.Yield()), through the injected interfaces.</summary>
[MemoryDiagnoser]
public class PublishAsyncHandler
{
    private readonly Sides _s = new();

    [Benchmark(Baseline = true, Description = "Mediator 3.0.2 IMediator.Publish")]
    public async Task MediatorInterface() => await _s.Mediator.Publish(_s.AsyncPing);

    [Benchmark(Description = "EventRouter IEventPublisher<T>")]
    public async Task RouterTypedInterface() => await _s.RouterAsyncPing.PublishAsync(_s.AsyncPing);
}
