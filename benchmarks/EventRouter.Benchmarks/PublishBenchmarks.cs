using BenchmarkDotNet.Attributes;

namespace EventRouter.Benchmarks;

/// <summary>Publish to 1 singleton listener that completes synchronously. Baseline: a direct call.</summary>
[MemoryDiagnoser]
public class PublishOneListener
{
    private readonly Scenarios _s = new();

    [Benchmark(Baseline = true, Description = "direct call")]
    public void Direct() => Scenarios.Wait(_s.Direct.PublishAsync(_s.Ping1));

    [Benchmark(Description = "naive async loop")]
    public void NaiveLoop() => Scenarios.Wait(_s.Naive1.PublishAsync(_s.Ping1));

    [Benchmark(Description = "EventRouter typed")]
    public void Typed() => Scenarios.Wait(_s.Router.PublishAsync(_s.Ping1));

    [Benchmark(Description = "EventRouter PublishAsync<T>")]
    public void Generic() => Scenarios.Wait(_s.Router.PublishAsync<Ping1>(_s.Ping1));

    [Benchmark(Description = "prototype inlinable fast path (not shipped)")]
    public void Prototype() => Scenarios.Wait(_s.Prototype.PublishAsync(_s.Ping1));

    [Benchmark(Description = "EventRouter PublishAsync<T> via IEventPublisher")]
    public void GenericInterface() => Scenarios.Wait(_s.Publisher.PublishAsync<Ping1>(_s.Ping1));

    [Benchmark(Description = "EventRouter object")]
    public void Object() => Scenarios.Wait(_s.Router.PublishAsync((object)_s.Ping1));

    [Benchmark(Description = "locked list of object listeners")]
    public void LockedList() => Scenarios.Wait(_s.LockedList1.DispatchAsync(_s.Ping1));

    [Benchmark(Description = "EventRouter typed, one synchronous filter")]
    public void TypedFiltered() => Scenarios.Wait(_s.Router.PublishAsync(_s.FilteredPing1));

    [Benchmark(Description = "EventRouter typed, subscriptions for other types only")]
    public void TypedWithUnusedSubscriptions() => Scenarios.Wait(_s.SubscribedRouter.PublishAsync(_s.Ping1));

    [Benchmark(Description = "MediatR 5.1.0 Publish")]
    public void MediatR() => Scenarios.Wait(_s.MediatR.Publish(_s.Ping1));
}

/// <summary>Publish to 10 singleton listeners that complete synchronously. Baseline: 10 direct calls.</summary>
[MemoryDiagnoser]
public class PublishTenListeners
{
    private readonly Scenarios _s = new();

    [Benchmark(Baseline = true, Description = "direct calls")]
    public void Direct() => Scenarios.Wait(_s.Direct.PublishAsync(_s.Ping10));

    [Benchmark(Description = "naive async loop")]
    public void NaiveLoop() => Scenarios.Wait(_s.Naive10.PublishAsync(_s.Ping10));

    [Benchmark(Description = "EventRouter typed")]
    public void Typed() => Scenarios.Wait(_s.Router.PublishAsync(_s.Ping10));

    [Benchmark(Description = "EventRouter PublishAsync<T>")]
    public void Generic() => Scenarios.Wait(_s.Router.PublishAsync<Ping10>(_s.Ping10));

    [Benchmark(Description = "prototype inlinable fast path (not shipped)")]
    public void Prototype() => Scenarios.Wait(_s.Prototype.PublishAsync(_s.Ping10));

    [Benchmark(Description = "EventRouter object")]
    public void Object() => Scenarios.Wait(_s.Router.PublishAsync((object)_s.Ping10));

    [Benchmark(Description = "direct calls, polymorphic event")]
    public void DirectPolymorphic() => Scenarios.Wait(_s.Direct.PublishAsync(_s.Parcel));

    [Benchmark(Description = "EventRouter typed, polymorphic event")]
    public void TypedPolymorphic() => Scenarios.Wait(_s.Router.PublishAsync(_s.Parcel));

    [Benchmark(Description = "locked list of object listeners")]
    public void LockedList() => Scenarios.Wait(_s.LockedList10.DispatchAsync(_s.Ping10));

    [Benchmark(Description = "MediatR 5.1.0 Publish")]
    public void MediatR() => Scenarios.Wait(_s.MediatR.Publish(_s.Ping10));
}

/// <summary>One scoped listener resolved from Microsoft.Extensions.DependencyInjection, a scope per publish.</summary>
[MemoryDiagnoser]
public class PublishScopedListener
{
    private readonly Scenarios _s = new();

    [Benchmark(Baseline = true, Description = "direct: CreateAsyncScope + GetRequiredService + call")]
    public void DirectScoped() => Scenarios.Wait(DirectPublisher.PublishScopedAsync(_s.Services, _s.Scoped));

    [Benchmark(Description = "EventRouter typed, scoped listener")]
    public void TypedScoped() => Scenarios.Wait(_s.DiRouter.PublishAsync(_s.Scoped));
}

/// <summary>Three listeners that each await Task.Yield(): the asynchronous path under load of real awaits.</summary>
[MemoryDiagnoser]
public class PublishAwaitingListeners
{
    private readonly Scenarios _s = new();

    [Benchmark(Baseline = true, Description = "direct calls")]
    public void Direct() => Scenarios.Wait(_s.Direct.PublishAsync(_s.Yield));

    [Benchmark(Description = "naive async loop")]
    public void NaiveLoop() => Scenarios.Wait(_s.NaiveYield.PublishAsync(_s.Yield));

    [Benchmark(Description = "EventRouter typed")]
    public void Typed() => Scenarios.Wait(_s.Router.PublishAsync(_s.Yield));
}
