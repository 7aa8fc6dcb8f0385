namespace EventRouter.Generator.Tests.Listeners;

/// <summary>Source texts the generator tests compile.</summary>
internal static class Sources
{
    public const string Usings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter;

        """;

    public const string OneListener = Usings + """
        namespace App;

        public sealed record TestEvent(string Data);

        [EventListener]
        public sealed class TestListener : IEventListener<TestEvent>
        {
            public static string? Last;
            public ValueTask HandleAsync(TestEvent e, CancellationToken ct) { Last = e.Data; return default; }
        }
        """;

    public const string ManyListeners = Usings + """
        namespace App;

        [Event("orders.placed")]
        public sealed class OrderPlaced { public int Id { get; init; } }

        [EventListener] public sealed class C : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; }
        [EventListener] public sealed class A : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; }
        [EventListener] public sealed class B : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; }
        """;

    public const string Polymorphic = Usings + """
        namespace App;

        public interface IDomainEvent { }
        public abstract record Shipment(string Sku) : IDomainEvent;
        public sealed record Shipped(string Sku) : Shipment(Sku);
        public record Delivered(string Sku) : Shipment(Sku);
        public readonly record struct Heartbeat(int N) : IDomainEvent;

        [EventListener] public sealed class DomainLog : IEventListener<IDomainEvent> { public ValueTask HandleAsync(IDomainEvent e, CancellationToken ct) => default; }
        [EventListener] public sealed class ShipmentLog : IEventListener<Shipment> { public ValueTask HandleAsync(Shipment e, CancellationToken ct) => default; }
        [EventListener] public sealed class Everything : IEventListener<object> { public ValueTask HandleAsync(object e, CancellationToken ct) => default; }
        """;

    public const string SeveralEventsPerListener = Usings + """
        namespace App;

        public sealed record Started(int Id);
        public sealed record Stopped(int Id);
        public readonly struct Tick { }

        [EventListener]
        public sealed class Lifecycle : IEventListener<Started>, IEventListener<Stopped>, IEventListener<Tick>
        {
            public ValueTask HandleAsync(Started e, CancellationToken ct) => default;
            public ValueTask HandleAsync(Stopped e, CancellationToken ct) => default;
            ValueTask IEventListener<Tick>.HandleAsync(Tick e, CancellationToken ct) => default;
        }
        """;

    public const string DiLifetimes = Usings + """
        namespace App;

        public sealed record UserRegistered([property: EventId] Guid Id, [property: PartitionKey] string Email);

        public sealed class Mailer { }

        [EventListener] public sealed class Welcome : IEventListener<UserRegistered> { public ValueTask HandleAsync(UserRegistered e, CancellationToken ct) => default; }
        [EventListener(Lifetime = ListenerLifetime.Scoped)] public sealed class SendMail(Mailer mailer) : IEventListener<UserRegistered> { public ValueTask HandleAsync(UserRegistered e, CancellationToken ct) { GC.KeepAlive(mailer); return default; } }
        [EventListener(Lifetime = ListenerLifetime.Transient)] public sealed class Audit : IEventListener<UserRegistered> { public ValueTask HandleAsync(UserRegistered e, CancellationToken ct) => default; }
        """;

    public const string InvalidMixedWithValid = Usings + """
        namespace App;

        public sealed record Good(int N);

        [EventListener] public sealed class Valid : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }
        [EventListener] public sealed class NoInterface { }
        [EventListener] public abstract class Abstract : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }
        [EventListener] public sealed class Generic<T> : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }
        public sealed class Outer
        {
            [EventListener] private sealed class Hidden : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }
            private sealed record Secret(int N);
            [EventListener] public sealed class ListensToSecret : IEventListener<Secret>, IEventListener<Good> { ValueTask IEventListener<Secret>.HandleAsync(Secret e, CancellationToken ct) => default; public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }
        }
        [EventListener] public sealed class PrivateCtor : IEventListener<Good> { private PrivateCtor() { } public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }
        """;
}

internal static class FilterSources
{
    public const string Filtered = Sources.Usings + """
        namespace App;

        public interface IAudited { }
        public sealed record Paid(int Id) : IAudited;
        public sealed record Pinged(int Id);

        [EventListener] public sealed class Ledger : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) { Trace.Calls.Add("Ledger"); return default; } }
        [EventListener] public sealed class Pong : IEventListener<Pinged> { public ValueTask HandleAsync(Pinged e, CancellationToken ct) { Trace.Calls.Add("Pong"); return default; } }

        [EventFilter(Order = 1)]
        public sealed class Logging : IEventFilter
        {
            public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) { Trace.Calls.Add("Logging"); return next.InvokeAsync(e, ct); }
        }

        [EventFilter(Order = 2, AppliesTo = typeof(IAudited))]
        public sealed class Audit : IEventFilter
        {
            public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) { Trace.Calls.Add("Audit"); return next.InvokeAsync(e, ct); }
        }

        public static class Trace
        {
            public static readonly System.Collections.Generic.List<string> Calls = new();

            public static async Task<string> RunAsync()
            {
                var dispatcher = new EventRouter.Generated.EventDispatcher();
                await dispatcher.PublishAsync(new Paid(1));
                Calls.Add("|");
                await dispatcher.PublishAsync(new Pinged(2));
                return string.Join(" ", Calls);
            }
        }
        """;
}
