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
                public ValueTask<int> HandleAsync(PlaceOrder request, CancellationToken cancellationToken) { Trace.Calls.Add("PlaceOrder"); return new(request.Id); }
                public ValueTask<string?> HandleAsync(GetStatus request, CancellationToken cancellationToken) { Trace.Calls.Add("GetStatus"); return new("open"); }
                public ValueTask<bool> HandleAsync(Ping request, CancellationToken cancellationToken) { Trace.Calls.Add("Ping"); return new(true); }
                public ValueTask HandleAsync(Cancel command, CancellationToken cancellationToken) { Trace.Calls.Add("Cancel"); return default; }
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
                public ValueTask HandleAsync(Shipped e, CancellationToken ct) { Trace.Calls.Add("Shipped"); return default; }
            }

            [EventFilter(Order = 1, AppliesTo = typeof(IOrderMessage))]
            public sealed class Timing : IModuleFilter
            {
                public ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken ct)
                {
                    Trace.Calls.Add("Timing");
                    return next.InvokeAsync(request, ct);
                }
            }

            [EventFilter(Order = 2, AppliesTo = typeof(IAudited))]
            internal sealed class Audit : IModuleFilter
            {
                public ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken ct)
                {
                    Trace.Calls.Add("Audit");
                    return next.InvokeAsync(request, ct);
                }

                public ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken ct)
                {
                    Trace.Calls.Add("Audit");
                    return next.InvokeAsync(command, ct);
                }
            }

            [EventFilter(Order = 3, AppliesTo = typeof(IAudited))]
            public sealed class Tenant : IModuleFilter, IEventFilter
            {
                public Tenant(IServiceProvider services) { }

                public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct)
                {
                    Trace.Calls.Add("Tenant");
                    return next.InvokeAsync(e, ct);
                }

                public ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken ct)
                {
                    Trace.Calls.Add("Tenant");
                    return next.InvokeAsync(request, ct);
                }

                public ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken ct)
                {
                    Trace.Calls.Add("Tenant");
                    return next.InvokeAsync(command, ct);
                }
            }

            [EventFilter(Order = 4)]
            public sealed class EventsOnly : IEventFilter
            {
                public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct)
                {
                    Trace.Calls.Add("EventsOnly");
                    return next.InvokeAsync(e, ct);
                }
            }

            public static class Trace
            {
                public static readonly System.Collections.Generic.List<string> Calls = new();
            }
        }
        """;

    /// <summary>Runs <see cref="Filtered"/>: its requests, one event, then its command; returns what the filters and handlers saw, in order.</summary>
    public const string FilteredRunner = """
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter.Modules;
        using Microsoft.Extensions.DependencyInjection;

        namespace Shop
        {
            public static class Runner
            {
                public static async Task<string> RunAsync(bool withServices)
                {
                    // Tenant has no parameterless constructor: only the server's (and the dispatcher's) services can create it.
                    var services = withServices ? new ServiceCollection().AddSingleton<Tenant>().BuildServiceProvider() : null;
                    await using var server = new ModuleServer<Orders>(new Orders(), new ModuleServerOptions { RunInlineWhenIdle = false }, services);
                    await server.StartAsync(CancellationToken.None);
                    var client = new OrdersClient(server);
                    await client.RequestAsync(new GetStatus(1));
                    Trace.Calls.Add("|");
                    await client.RequestAsync(new Ping());
                    Trace.Calls.Add("|");
                    await client.RequestAsync(new PlaceOrder(2));
                    Trace.Calls.Add("|");
                    await new EventRouter.Generated.EventDispatcher(services).PublishAsync(new Shipped(4));
                    Trace.Calls.Add("|");
                    // A command is queued, not awaited: a graceful shutdown runs it before it completes.
                    await client.SendAsync(new Cancel(3));
                    await server.ShutdownAsync(ModuleShutdownMode.Graceful);
                    return string.Join(" ", Trace.Calls);
                }

                /// <summary>Whether the DI registration of the module registers its filters, so their dependencies come from the container.</summary>
                public static bool RegistersFilters()
                {
                    var services = new ServiceCollection();
                    services.AddModuleServer<Orders>();
                    using var provider = services.BuildServiceProvider();
                    return provider.GetService<Tenant>() is not null;
                }
            }
        }
        """;

    /// <summary>
    /// A module with two stream requests (one of them wrapped by a stream filter), a request and a command; the filter
    /// applies by AppliesTo to the feed messages only.
    /// </summary>
    public const string Feed = """
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter;
        using EventRouter.Modules;

        namespace News
        {
            public interface IFeedMessage { }
            public sealed record Headlines(int Count) : IFeedMessage;
            public sealed record Prices(string Symbol);
            public sealed record Quote(string Symbol, decimal Price);
            public sealed record Latest;
            public sealed record Publish(string Headline);

            [ModuleServer]
            public sealed partial class Newsroom :
                IStreamRequestHandler<Headlines, string>,
                IStreamRequestHandler<Prices, Quote?>,
                IRequestHandler<Latest, string>,
                ICommandHandler<Publish>
            {
                private readonly List<string> _headlines = new() { "a", "b", "c" };

                public async IAsyncEnumerable<string> HandleAsync(Headlines request, [EnumeratorCancellation] CancellationToken cancellationToken)
                {
                    for (var i = 0; i < request.Count && i < _headlines.Count; i++)
                    {
                        await Task.Yield();
                        yield return _headlines[i];
                    }
                }

                public async IAsyncEnumerable<Quote?> HandleAsync(Prices request, [EnumeratorCancellation] CancellationToken cancellationToken)
                {
                    await Task.Yield();
                    yield return new Quote(request.Symbol, 1m);
                    yield return null;
                }

                public ValueTask<string> HandleAsync(Latest request, CancellationToken cancellationToken) => new(_headlines[^1]);

                public ValueTask HandleAsync(Publish command, CancellationToken cancellationToken)
                {
                    _headlines.Add(command.Headline);
                    return default;
                }
            }

            [EventFilter(Order = 1, AppliesTo = typeof(IFeedMessage))]
            public sealed class Brackets : IModuleFilter
            {
                public async IAsyncEnumerable<TItem> InvokeStreamAsync<TRequest, TItem>(TRequest request, StreamNext<TRequest, TItem> next, [EnumeratorCancellation] CancellationToken ct)
                {
                    Trace.Calls.Add("[");
                    await foreach (var item in next.InvokeAsync(request, ct))
                    {
                        Trace.Calls.Add("item");
                        yield return item;
                    }
                    Trace.Calls.Add("]");
                }
            }

            public static class Trace
            {
                public static readonly List<string> Calls = new();
            }

            public static class Runner
            {
                public static async Task<string> RunAsync()
                {
                    await using var server = new ModuleServer<Newsroom>(new Newsroom());
                    await server.StartAsync(CancellationToken.None);
                    var client = new NewsroomClient(server);
                    await client.SendAsync(new Publish("d"));
                    var read = new List<string>();
                    await foreach (var headline in client.StreamAsync(new Headlines(10)))
                    {
                        read.Add(headline);
                    }
                    await foreach (var quote in client.StreamAsync(new Prices("X")))
                    {
                        read.Add(quote?.Symbol ?? "none");
                    }
                    return string.Join(",", read) + "|" + string.Join(" ", Trace.Calls) + "|" + await client.RequestAsync(new Latest());
                }
            }
        }
        """;
}
