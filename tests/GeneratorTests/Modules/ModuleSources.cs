using EventRouter.Modules;

namespace EventRouter.Generator.Tests.Modules;

/// <summary>Test inputs for the module-server generator and analyzer.</summary>
internal static class ModuleSources
{
    public const string Inventory = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter.Modules;

        namespace Sample.Inventory
        {
            public sealed record GetData(string Key);
            public sealed record Data(IReadOnlyList<int> Values);
            public sealed record UpdateData(string Key, int Value);
            public sealed record LogEvent(string Text);

            [ModuleServer]
            public sealed partial class InventoryModule :
                IRequestHandler<GetData, Data>,
                IRequestHandler<UpdateData, bool>,
                IRequestHandler<string, string?>,
                ICommandHandler<LogEvent>
            {
                private readonly Dictionary<string, List<int>> _store = new();
                public List<string> Events { get; } = new();

                public ValueTask<Data> HandleAsync(GetData request, CancellationToken cancellationToken) =>
                    new(new Data(_store.TryGetValue(request.Key, out var values) ? values.ToArray() : new int[0]));

                public ValueTask<bool> HandleAsync(UpdateData request, CancellationToken cancellationToken)
                {
                    if (!_store.TryGetValue(request.Key, out var values))
                    {
                        _store[request.Key] = values = new List<int>();
                    }
                    values.Add(request.Value);
                    return new(true);
                }

                ValueTask<string?> IRequestHandler<string, string?>.HandleAsync(string request, CancellationToken cancellationToken) =>
                    new(request.Length == 0 ? null : request.ToUpperInvariant());

                public ValueTask HandleAsync(LogEvent command, CancellationToken cancellationToken)
                {
                    Events.Add(command.Text);
                    return default;
                }
            }
        }
        """;

    /// <summary>Calls the generated client; compiled together with <see cref="Inventory"/> for compile-and-execute tests.</summary>
    public const string InventoryRunner = """
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter.Modules;

        namespace Sample.Inventory
        {
            public static class Runner
            {
                public static async Task<string> RunAsync()
                {
                    var module = new InventoryModule();
                    await using var server = new ModuleServer<InventoryModule>(module, new ModuleServerOptions { RunInlineWhenIdle = false });
                    await server.StartAsync(CancellationToken.None);
                    var client = new InventoryModuleClient(server);

                    var updated = await client.RequestAsync(new UpdateData("a", 1));
                    await client.RequestAsync(new UpdateData("a", 2));
                    Data data = await client.RequestAsync(new GetData("a"));
                    string? upper = await client.RequestAsync("abc");
                    await client.SendAsync(new LogEvent("logged"));
                    await server.ShutdownAsync(ModuleShutdownMode.Graceful);
                    return $"{updated}|{string.Join(",", data.Values)}|{upper}|{string.Join(",", module.Events)}";
                }
            }
        }
        """;

    public const string GlobalInternal = """
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter.Modules;

        internal readonly record struct Tick(int Count);

        [ModuleServer]
        internal partial class Counter : IRequestHandler<Tick, int[]>, ICommandHandler<Tick>
        {
            private int _total;
            public ValueTask<int[]> HandleAsync(Tick request, CancellationToken cancellationToken) => new(new[] { _total += request.Count });
            ValueTask ICommandHandler<Tick>.HandleAsync(Tick command, CancellationToken cancellationToken) { _total += command.Count; return default; }
        }
        """;

    /// <summary>
    /// Two modules and four filters: module-only filters restricted by AppliesTo, one filter that wraps listeners and
    /// modules (and needs DI: no parameterless constructor), one event-only filter. <c>Plain</c>'s messages match no filter.
    /// </summary>
    public const string Filtered = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter;
        using EventRouter.Modules;

        namespace Shop
        {
            public interface IOrderMessage { }
            public interface IAudited { }
            public sealed record PlaceOrder(int Id) : IOrderMessage, IAudited;
            public sealed record GetStatus(int Id) : IOrderMessage;
            public sealed record Ping;
            public sealed record Cancel(int Id) : IAudited;
            public sealed record Shipped(int Id) : IAudited;
            public sealed record Hello;

            [ModuleServer]
            public sealed partial class Orders : IRequestHandler<PlaceOrder, int>, IRequestHandler<GetStatus, string?>, IRequestHandler<Ping, bool>, ICommandHandler<Cancel>
            {
                public ValueTask<int> HandleAsync(PlaceOrder request, CancellationToken cancellationToken) => new(request.Id);
                public ValueTask<string?> HandleAsync(GetStatus request, CancellationToken cancellationToken) => new("open");
                public ValueTask<bool> HandleAsync(Ping request, CancellationToken cancellationToken) => new(true);
                public ValueTask HandleAsync(Cancel command, CancellationToken cancellationToken) => default;
            }

            [ModuleServer]
            public sealed partial class Plain : IRequestHandler<Hello, string>, ICommandHandler<Ping>
            {
                public ValueTask<string> HandleAsync(Hello request, CancellationToken cancellationToken) => new("hi");
                public ValueTask HandleAsync(Ping command, CancellationToken cancellationToken) => default;
            }

            [EventListener]
            public sealed class ShippedListener : IEventListener<Shipped>
            {
                public ValueTask HandleAsync(Shipped e, CancellationToken ct) => default;
            }

            [EventFilter(Order = 1, AppliesTo = typeof(IOrderMessage))]
            public sealed class Timing : IModuleFilter
            {
                public ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken ct) =>
                    next.InvokeAsync(request, ct);
            }

            [EventFilter(Order = 2, AppliesTo = typeof(IAudited))]
            internal sealed class Audit : IModuleFilter
            {
                public ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken ct) => next.InvokeAsync(command, ct);
            }

            [EventFilter(Order = 3, AppliesTo = typeof(IAudited))]
            public sealed class Tenant : IModuleFilter, IEventFilter
            {
                public Tenant(IServiceProvider services) { }
                public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct);
            }

            [EventFilter(Order = 4)]
            public sealed class EventsOnly : IEventFilter
            {
                public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct);
            }
        }
        """;
}
