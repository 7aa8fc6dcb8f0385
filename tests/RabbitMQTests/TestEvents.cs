using System;
using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.RabbitMQ.Tests;

[Event("tests.stream")]
public sealed record StreamEvent([property: EventId] string Id, int Sequence);

[Event("tests.doomed")]
public sealed record DoomedEvent([property: EventId] string Id);

[Event("tests.poison")]
public sealed record PoisonEvent([property: EventId] string Id, int Amount);

[Event("tests.killed")]
public sealed record KilledEvent([property: EventId] string Id);

[Event("tests.traced")]
public sealed record TracedEvent([property: EventId] string Id);

[Event("tests.delayed")]
public sealed record DelayedEvent([property: EventId] string Id, int Sequence);

[Event("tests.not-in-context")]
public sealed record NotInContextEvent(string Id);

[Event("tests.animal")]
public record AnimalEvent([property: EventId] string Id);

[Event("tests.dog")]
public sealed record DogEvent(string Id, string Breed) : AnimalEvent(Id);

[JsonSerializable(typeof(DogEvent))]
[JsonSerializable(typeof(DelayedEvent))]
[JsonSerializable(typeof(StreamEvent))]
[JsonSerializable(typeof(DoomedEvent))]
[JsonSerializable(typeof(PoisonEvent))]
[JsonSerializable(typeof(KilledEvent))]
[JsonSerializable(typeof(TracedEvent))]
public sealed partial class TestJsonContext : JsonSerializerContext;

/// <summary>What the listeners of one test saw: (listener, event id) → invocation count.</summary>
public sealed class Recorder
{
    public ConcurrentDictionary<(string Listener, string Id), int> Calls { get; } = new();

    public int Record(string listener, string id) => Calls.AddOrUpdate((listener, id), 1, static (_, n) => n + 1);

    public int Count(string listener) { var n = 0; foreach (var key in Calls.Keys) { if (key.Listener == listener) n++; } return n; }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class StreamAudit(Recorder recorder) : IEventListener<StreamEvent>
{
    public ValueTask HandleAsync(StreamEvent e, CancellationToken ct) { recorder.Record(nameof(StreamAudit), e.Id); return default; }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class StreamProjection(Recorder recorder) : IEventListener<StreamEvent>
{
    public async ValueTask HandleAsync(StreamEvent e, CancellationToken ct)
    {
        await Task.Yield(); // an asynchronous listener next to a synchronous one
        recorder.Record(nameof(StreamProjection), e.Id);
    }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class AlwaysFails(Recorder recorder) : IEventListener<DoomedEvent>
{
    public ValueTask HandleAsync(DoomedEvent e, CancellationToken ct)
    {
        recorder.Record(nameof(AlwaysFails), e.Id);
        throw new InvalidOperationException($"payment service rejected {e.Id}");
    }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class PoisonSurvivor(Recorder recorder) : IEventListener<PoisonEvent>
{
    public ValueTask HandleAsync(PoisonEvent e, CancellationToken ct) { recorder.Record(nameof(PoisonSurvivor), e.Id); return default; }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class KilledListener(Recorder recorder) : IEventListener<KilledEvent>
{
    public ValueTask HandleAsync(KilledEvent e, CancellationToken ct) { recorder.Record(nameof(KilledListener), e.Id); return default; }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class NotInContextListener(Recorder recorder) : IEventListener<NotInContextEvent>
{
    public ValueTask HandleAsync(NotInContextEvent e, CancellationToken ct) { recorder.Record(nameof(NotInContextListener), e.Id); return default; }
}
