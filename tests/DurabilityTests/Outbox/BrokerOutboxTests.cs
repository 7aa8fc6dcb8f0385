using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using EventRouter.Durability.Tests.Crash;
using EventRouter.Durability.Tests.Infrastructure;
using EventRouter.RabbitMQ;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace EventRouter.Durability.Tests.Outbox;

/// <summary>
/// The outbox relay publishing to a real RabbitMQ node through the bridge's <see cref="IBrokerPublisher"/>: a row is
/// marked sent only once the broker confirmed its message. The queue behind the exchange takes three messages and
/// rejects the rest (<c>x-overflow: reject-publish</c>, so the broker nacks them): exactly those three are marked.
/// </summary>
[Collection(BrokerCrashCollection.Name)]
public abstract class BrokerOutboxTests : BackendTests
{
    private const string Exchange = "tests.durability.order-placed";

    [Fact]
    public async Task Relay_ToRabbitMQ_MarksSentOnlyWhatTheBrokerConfirmed()
    {
        await using var store = OutboxTests.NewStore(Database);
        await using var connection = await OutboxTests.OpenWithOrdersTableAsync(Database, store);
        var uri = await BrokerServer.UriAsync();
        var services = new ServiceCollection();
        services.AddEventRouter();
        services.AddEventRouterRabbitMQ(o =>
        {
            o.ConnectionString = uri;
            o.ServiceName = "outbox" + Guid.NewGuid().ToString("N")[..10];
            o.JsonContext = TestJson.Default;
            o.CrossBroker<OrderPlaced>();
            o.Consume = false;
            o.PublishTimeout = TimeSpan.FromSeconds(1); // a nacked publish is retried until then, then fails the delivery
        });
        await using var provider = services.BuildServiceProvider();
        var bridge = provider.GetRequiredService<IHostedService>();
        await bridge.StartAsync(default);
        var broker = provider.GetRequiredService<IBrokerPublisher>();
        await using var relay = new OutboxRelay(store, async (e, ct) => await broker.PublishAsync(e, ct));

        await using var admin = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await admin.CreateChannelAsync();
        var queue = "outbox-probe-" + Guid.NewGuid().ToString("N")[..10];
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = 3, ["x-overflow"] = "reject-publish" });
        await channel.QueueBindAsync(queue, Exchange, string.Empty);
        try
        {
            for (var i = 0; i < 5; i++)
            {
                await OutboxTests.PlaceOrderAsync(store, connection, new OrderPlaced($"order-{i}", "alice", i), commit: true);
            }

            await Assert.ThrowsAsync<BrokerPublishException>(() => relay.RelayOnceAsync());
            Assert.Equal(2, await store.Outbox.PendingCountAsync()); // the fourth was nacked: it and the fifth stay unsent
            Assert.Equal(3L, relay.Sent);

            // Room again: the next pass sends the two that were left.
            await channel.QueuePurgeAsync(queue);
            Assert.Equal(2, await relay.RelayOnceAsync());
            Assert.Equal(0, await store.Outbox.PendingCountAsync());
            var received = new List<string>();
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                received.Add(message.BasicProperties.MessageId!);
            }
            Assert.Equal(["order-3", "order-4"], received);
        }
        finally
        {
            await channel.QueueDeleteAsync(queue);
            await channel.ExchangeDeleteAsync(Exchange);
            await bridge.StopAsync(default);
        }
    }
}

public sealed class SqliteBrokerOutboxTests : BrokerOutboxTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlBrokerOutboxTests : BrokerOutboxTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
