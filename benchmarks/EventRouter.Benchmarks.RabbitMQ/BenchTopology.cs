using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.RabbitMQ;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>
/// The broker the benchmarks run against and every queue and exchange they use. All names start with <c>bench</c>;
/// <see cref="ResetAsync"/> deletes them before and after each run so that runs start from the same empty state.
/// </summary>
public static class BenchTopology
{
    /// <summary>The event's name: the bridge's durable fanout exchange.</summary>
    public const string EventName = "bench.orders.placed";

    /// <summary>The raw end-to-end baseline's own exchange (same kind), so the two sides never receive each other's messages.</summary>
    public const string RawExchange = "bench.raw.orders.placed";

    /// <summary>Publish cases: the durable queue bound to both sides' exchange, so a confirm means "persisted in a queue".</summary>
    public const string SinkQueue = "bench.publish.sink";

    /// <summary>The raw end-to-end consumer's queue.</summary>
    public const string RawQueue = "bench.raw.consumer";

    /// <summary>Service names of the bridge hosts; each has its own listener queue.</summary>
    public static readonly string[] ServiceNames = ["bench", "bench-dedup-none"];

    /// <summary>The listener queue of a bridge host: <c>&lt;service&gt;.&lt;listener&gt;</c>.</summary>
    public static string ListenerQueue(string serviceName) => $"{serviceName}.{typeof(OrderCounter).FullName}";

    /// <summary>
    /// The AMQP URI: <c>ER_RABBITMQ_URI</c>, else the <c>uri</c> file written by <c>scripts/services/rabbitmq.sh start</c>
    /// (in <c>ER_RABBITMQ_DIR</c>, default <c>/tmp/eventrouter-rabbitmq</c>) — the same lookup as tests/RabbitMQTests.
    /// </summary>
    public static string? FindUri()
    {
        if (Environment.GetEnvironmentVariable("ER_RABBITMQ_URI") is { Length: > 0 } uri)
        {
            return uri;
        }
        var file = Path.Combine(Environment.GetEnvironmentVariable("ER_RABBITMQ_DIR") ?? "/tmp/eventrouter-rabbitmq", "uri");
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    /// <summary>The broker's URI when one answers, else null and why not.</summary>
    public static async Task<(string? Uri, string Reason)> ProbeAsync()
    {
        if (FindUri() is not { } uri)
        {
            return (null, "no broker configured: set ER_RABBITMQ_URI or run `bash scripts/services/rabbitmq.sh start` (writes /tmp/eventrouter-rabbitmq/uri)");
        }
        try
        {
            await using var connection = await ConnectAsync(uri, "bench-probe");
            return (uri, "");
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException)
        {
            return (null, $"no broker reachable at {uri}: {ex.GetBaseException().Message}");
        }
    }

    public static Task<IConnection> ConnectAsync(string uri, string name) =>
        new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = name, RequestedConnectionTimeout = TimeSpan.FromSeconds(10) }.CreateConnectionAsync();

    /// <summary>Deletes every queue and exchange the benchmarks use (missing ones are fine).</summary>
    public static async Task ResetAsync(string uri)
    {
        await using var connection = await ConnectAsync(uri, "bench-reset");
        var queues = new List<string> { SinkQueue, RawQueue };
        var delays = new RabbitMQOptions().DelayedRetries;
        foreach (var service in ServiceNames)
        {
            var queue = ListenerQueue(service);
            queues.Add(queue);
            queues.Add(queue + ".error");
            foreach (var delay in delays)
            {
                queues.Add($"{queue}.delay.{(long)delay.TotalMilliseconds}ms");
            }
        }
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
        }
        await channel.ExchangeDeleteAsync(EventName, ifUnused: false);
        await channel.ExchangeDeleteAsync(RawExchange, ifUnused: false);
    }

    /// <summary>Declares the exchange as the bridge does (durable fanout) and a durable queue bound to it.</summary>
    public static async Task DeclareBoundQueueAsync(IChannel channel, string exchange, string queue, CancellationToken cancellationToken = default)
    {
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, arguments: null, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, exchange, routingKey: string.Empty, arguments: null, cancellationToken: cancellationToken);
    }
}
