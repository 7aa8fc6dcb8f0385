using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.RabbitMQ;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Benchmarks.RabbitMQ;

public sealed record FeedRequest(int Count);
public sealed record FeedItemRequest(int Index);
public sealed record FeedItem(int Index, string Sku, decimal Price);

/// <summary>The served module of the remote-stream case: the same items as a stream or one request each.</summary>
[ModuleServer]
public sealed partial class FeedModule : IStreamRequestHandler<FeedRequest, FeedItem>, IRequestHandler<FeedItemRequest, FeedItem>
{
    public async IAsyncEnumerable<FeedItem> HandleAsync(FeedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < request.Count; i++)
        {
            yield return Item(i);
        }
        await Task.CompletedTask;
    }

    public ValueTask<FeedItem> HandleAsync(FeedItemRequest request, CancellationToken cancellationToken) => new(Item(request.Index));

    private static FeedItem Item(int index) => new(index, "sku-" + index, 9.99m + index % 100);
}

[JsonSerializable(typeof(FeedRequest))]
[JsonSerializable(typeof(FeedItemRequest))]
[JsonSerializable(typeof(FeedItem))]
public sealed partial class FeedJsonContext : JsonSerializerContext;

/// <summary>
/// A serving and a calling service of <see cref="FeedModule"/> on one broker: N items read from one remote stream
/// against the same N items fetched by N remote requests one after another (each a broker round trip).
/// </summary>
public sealed class ModuleStreamScenario : IAsyncDisposable
{
    private const string Queue = "bench.module.feed";

    private readonly ServiceProvider _server;
    private readonly ServiceProvider _caller;
    private readonly FeedModuleClient _client;

    private ModuleStreamScenario(ServiceProvider server, ServiceProvider caller)
    {
        _server = server;
        _caller = caller;
        _client = caller.GetRequiredService<FeedModuleClient>();
    }

    public static async Task<ModuleStreamScenario> CreateAsync(string uri, int window)
    {
        await DeleteQueuesAsync(uri);
        var server = new ServiceCollection();
        server.AddEventRouter();
        server.AddModuleServer<FeedModule>();
        server.AddEventRouterRabbitMQ(o =>
        {
            o.ConnectionString = uri;
            o.ServiceName = "bench-feed-server";
            o.JsonContext = FeedJsonContext.Default;
            o.ServeModule<FeedModule>(Queue);
        });
        var caller = new ServiceCollection();
        caller.AddEventRouter();
        caller.AddEventRouterRabbitMQ(o =>
        {
            o.ConnectionString = uri;
            o.ServiceName = "bench-feed-caller";
            o.JsonContext = FeedJsonContext.Default;
            o.ModuleStreamBufferCapacity = window;
            o.CallModule<FeedModule>(Queue);
        });
        var scenario = new ModuleStreamScenario(server.BuildServiceProvider(), caller.BuildServiceProvider());
        foreach (var hosted in scenario._server.GetServices<IHostedService>().Concat(scenario._caller.GetServices<IHostedService>()))
        {
            await hosted.StartAsync(CancellationToken.None);
        }
        return scenario;
    }

    public async Task StreamAsync(int count)
    {
        var seen = 0;
        await foreach (var item in _client.StreamAsync(new FeedRequest(count)))
        {
            if (item.Index != seen++)
            {
                throw new InvalidOperationException($"item {item.Index} arrived as number {seen - 1}");
            }
        }
        if (seen != count)
        {
            throw new InvalidOperationException($"{seen} of {count} items arrived");
        }
    }

    public async Task RequestsAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if ((await _client.RequestAsync(new FeedItemRequest(i))).Index != i)
            {
                throw new InvalidOperationException($"request {i} answered with another item");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var provider in new[] { _caller, _server })
        {
            foreach (var hosted in provider.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(stop.Token);
            }
            await provider.DisposeAsync();
        }
        await DeleteQueuesAsync(Program.BrokerUri);
    }

    private static async Task DeleteQueuesAsync(string uri)
    {
        await using var connection = await BenchTopology.ConnectAsync(uri, "bench-reset");
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(Queue, ifUnused: false, ifEmpty: false);
        await channel.QueueDeleteAsync(Queue + ".error", ifUnused: false, ifEmpty: false);
    }
}
