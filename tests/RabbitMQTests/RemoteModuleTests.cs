using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace EventRouter.RabbitMQ.Tests;

public sealed record GetStock(string Sku);
public sealed record StockLevel(string Sku, int Quantity);
public sealed record Restock(string Sku, int Quantity);
public sealed record BreakStock(string Why);
public sealed record CountStockSlowly(string Sku);
public sealed record Unserializable(string Why);
public sealed record HeldRestock(string Sku);

/// <summary>What the stock module did, shared with the test (the module itself lives in the serving host's container).</summary>
public sealed class StockLedger
{
    public ConcurrentDictionary<string, int> Quantities { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Holds <see cref="CountStockSlowly"/> until the test releases it.</summary>
    public SemaphoreSlim SlowCount { get; } = new(0);

    /// <summary>While set, <see cref="HeldRestock"/> waits (until the module stops) instead of running.</summary>
    public bool HoldCommands { get; set; }

    /// <summary>How many times each held-restock sku ran to completion.</summary>
    public ConcurrentDictionary<string, int> HeldRuns { get; } = new(StringComparer.Ordinal);
}

[ModuleServer]
public sealed partial class StockModule(StockLedger ledger) :
    IRequestHandler<GetStock, StockLevel>,
    IRequestHandler<BreakStock, int>,
    IRequestHandler<CountStockSlowly, StockLevel>,
    ICommandHandler<Restock>,
    ICommandHandler<HeldRestock>
{
    public async ValueTask HandleAsync(HeldRestock command, CancellationToken cancellationToken)
    {
        if (ledger.HoldCommands)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        ledger.HeldRuns.AddOrUpdate(command.Sku, 1, (_, n) => n + 1);
    }

    public async ValueTask<StockLevel> HandleAsync(CountStockSlowly request, CancellationToken cancellationToken)
    {
        ledger.Requests.Enqueue(request.Sku);
        await ledger.SlowCount.WaitAsync(CancellationToken.None);
        return new StockLevel(request.Sku, 0);
    }

    public ValueTask<StockLevel> HandleAsync(GetStock request, CancellationToken cancellationToken)
    {
        ledger.Requests.Enqueue(request.Sku);
        return ValueTask.FromResult(new StockLevel(request.Sku, ledger.Quantities.GetValueOrDefault(request.Sku)));
    }

    public ValueTask<int> HandleAsync(BreakStock request, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("stock is broken: " + request.Why);

    public ValueTask HandleAsync(Restock command, CancellationToken cancellationToken)
    {
        ledger.Quantities.AddOrUpdate(command.Sku, command.Quantity, (_, q) => q + command.Quantity);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A module with a request type that is in no serializer context.</summary>
[ModuleServer]
public sealed partial class UnserializableModule : IRequestHandler<Unserializable, int>
{
    public ValueTask<int> HandleAsync(Unserializable request, CancellationToken cancellationToken) => ValueTask.FromResult(0);
}

[JsonSerializable(typeof(GetStock))]
[JsonSerializable(typeof(StockLevel))]
[JsonSerializable(typeof(Restock))]
[JsonSerializable(typeof(BreakStock))]
[JsonSerializable(typeof(CountStockSlowly))]
[JsonSerializable(typeof(HeldRestock))]
[JsonSerializable(typeof(int))]
public sealed partial class StockJsonContext : JsonSerializerContext;

[Collection(BrokerCollection.Name)]
public sealed class RemoteModuleTests(BrokerFixture broker)
{
    [Fact]
    public async Task RemoteRequestAndCommand_RunOnTheServingService_ThroughTheGeneratedClient()
    {
        var queue = NewQueue();
        var ledger = new StockLedger();
        await using var server = await StartServerAsync(queue, ledger);
        await using var caller = await StartCallerAsync(queue);
        var client = caller.Get<StockModuleClient>();

        await client.SendAsync(new Restock("apple", 5));
        await Eventually.WaitUntilAsync(() => ledger.Quantities.GetValueOrDefault("apple") == 5, "the remote command", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        var level = await client.RequestAsync(new GetStock("apple"));

        Assert.Null(client.Server);
        Assert.Equal(new StockLevel("apple", 5), level);
        Assert.Equal(2, server.Bridge.ModuleConsumers.Single().Handled);
    }

    [Fact]
    public async Task RemoteHandlerThrows_CallerGetsRemoteModuleExceptionWithTheRemoteError()
    {
        var queue = NewQueue();
        await using var server = await StartServerAsync(queue, new StockLedger());
        await using var caller = await StartCallerAsync(queue);

        var error = await Assert.ThrowsAsync<RemoteModuleException>(() => caller.Get<StockModuleClient>().RequestAsync(new BreakStock("flood")).AsTask());

        Assert.Equal("handler-failed", error.Reason);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteExceptionType);
        Assert.Equal("stock is broken: flood", error.RemoteMessage);
        Assert.Equal(typeof(BreakStock), error.RequestType);
        // The module goes on answering.
        Assert.Equal(0, (await caller.Get<StockModuleClient>().RequestAsync(new GetStock("pear"))).Quantity);
    }

    [Fact]
    public async Task ServingServiceDown_RequestTimesOut_AndTheExpiredRequestIsNotHandledLater()
    {
        var queue = NewQueue();
        var ledger = new StockLedger();
        await using var caller = await StartCallerAsync(queue, timeout: TimeSpan.FromSeconds(1));
        var client = caller.Get<StockModuleClient>();

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => client.RequestAsync(new GetStock("stale")).AsTask());
        Assert.Equal("StockModule", error.ModuleName);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "a timeout, not a hang"); // the hang guard, not a timing assertion

        // Dropped by the broker (its expiry is what the caller had left) or by the server (its deadline has passed):
        // either way never run. The fresh request goes through a patient caller, so a busy machine cannot time it out.
        await using var server = await StartServerAsync(queue, ledger);
        await using var patient = await StartCallerAsync(queue);
        Assert.Equal("fresh", (await patient.Get<StockModuleClient>().RequestAsync(new GetStock("fresh"))).Sku);
        Assert.Equal(new[] { "fresh" }, ledger.Requests.ToArray());
    }

    [Fact]
    public async Task RequestWhoseDeadlineHasPassed_IsDroppedUnrunAndCounted_TheModuleGoesOn()
    {
        var queue = NewQueue();
        var ledger = new StockLedger();
        await using var server = await StartServerAsync(queue, ledger);
        var consumer = server.Bridge.ModuleConsumers.Single();

        // As a caller that gave up long ago would have left it (no broker expiry, only the deadline it carries).
        await PublishRequestAsync(queue, typeof(GetStock), "{\"Sku\":\"stale\"}", DateTimeOffset.UtcNow.AddSeconds(-1));
        await Eventually.WaitUntilAsync(() => consumer.Expired == 1, "the stale request dropped", timeout: TestHost.Patience, pollEvery: TestHost.Poll);

        await using var caller = await StartCallerAsync(queue);
        Assert.Equal("fresh", (await caller.Get<StockModuleClient>().RequestAsync(new GetStock("fresh"))).Sku);
        Assert.Equal(new[] { "fresh" }, ledger.Requests.ToArray());
        Assert.Equal(0, consumer.Failed);
    }

    [Fact]
    public async Task RequestWaitingBehindSlowWork_IsNotRunOnceItsDeadlinePassed()
    {
        var queue = NewQueue();
        var ledger = new StockLedger();
        await using var server = await StartServerAsync(queue, ledger);
        var consumer = server.Bridge.ModuleConsumers.Single();

        // Published by hand so that both surely reach the server however slow this machine is: the slow request
        // (deadline far away) holds the module, one message at a time, past the late request's deadline.
        await PublishRequestAsync(queue, typeof(CountStockSlowly), "{\"Sku\":\"slow\"}", DateTimeOffset.UtcNow.AddMinutes(5));
        await Eventually.WaitUntilAsync(() => ledger.Requests.Contains("slow"), "the slow request running", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        await PublishRequestAsync(queue, typeof(GetStock), "{\"Sku\":\"late\"}", DateTimeOffset.UtcNow.AddSeconds(1));
        // The module stays busy until the late request has been dropped (at the consumer, or in the module's queue
        // when its deadline fires): only then is the slow one let go, so the late one can never start.
        await Eventually.WaitUntilAsync(() => consumer.Expired == 1, "the late request dropped", timeout: TestHost.Patience, pollEvery: TestHost.Poll);

        ledger.SlowCount.Release();
        await Eventually.WaitUntilAsync(() => consumer.Handled == 1, "the slow request answered", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        Assert.Equal(new[] { "slow" }, ledger.Requests.ToArray());
        Assert.Equal(1, consumer.Expired);
    }

    [Fact]
    public async Task CommandSentWhileServingServiceDown_WaitsInTheQueue_HandledWhenItStarts()
    {
        var queue = NewQueue();
        var ledger = new StockLedger();
        await using (var caller = await StartCallerAsync(queue))
        {
            await caller.Get<StockModuleClient>().SendAsync(new Restock("plum", 3));
        }

        await using var server = await StartServerAsync(queue, ledger);
        await Eventually.WaitUntilAsync(() => ledger.Quantities.GetValueOrDefault("plum") == 3, "the command sent while the server was down", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
    }

    [Fact]
    public async Task ServingInstanceWhoseModuleStopped_GivesItsRequestsBack_AnotherInstanceAnswersAll()
    {
        var queue = NewQueue();
        var stoppedLedger = new StockLedger();
        var liveLedger = new StockLedger();
        await using var stopped = await StartServerAsync(queue, stoppedLedger);
        await using var live = await StartServerAsync(queue, liveLedger);
        await using var caller = await StartCallerAsync(queue);
        await stopped.Get<ModuleServer<StockModule>>().ShutdownAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => caller.Get<StockModuleClient>().RequestAsync(new GetStock("sku" + i)).AsTask()));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => "sku" + i), answers.Select(a => a.Sku));
        Assert.Empty(stoppedLedger.Requests);
        Assert.Equal(20, liveLedger.Requests.Count);
    }

    [Fact]
    public async Task MalformedAndUnknownMessages_GoToTheErrorQueueWithReason_ModuleKeepsAnswering()
    {
        var queue = NewQueue();
        var ledger = new StockLedger();
        await using var server = await StartServerAsync(queue, ledger);
        var consumer = server.Bridge.ModuleConsumers.Single();

        await using (var connection = await broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await BrokerFixture.PublishRawAsync(channel, queue, "bad-json", RabbitMQHeaders.MessageType, typeof(Restock).FullName!, "{\"Sku\": ");
            await BrokerFixture.PublishRawAsync(channel, queue, "stranger", RabbitMQHeaders.MessageType, "Nobody.Knows.This", "{}");
        }
        await using var caller = await StartCallerAsync(queue);
        Assert.Equal("kiwi", (await caller.Get<StockModuleClient>().RequestAsync(new GetStock("kiwi"))).Sku);

        await Eventually.WaitUntilAsync(() => consumer.Failed == 2, "two failed messages", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        var dead = (await broker.DrainAsync(consumer.ErrorQueue)).ToDictionary(m => m.BasicProperties.MessageId!);
        Assert.Equal("malformed-json", BrokerFixture.Text(dead["bad-json"].BasicProperties.Headers!, RabbitMQHeaders.Reason));
        Assert.Equal("unknown-message-type", BrokerFixture.Text(dead["stranger"].BasicProperties.Headers!, RabbitMQHeaders.Reason));
        Assert.Contains("Nobody.Knows.This", BrokerFixture.Text(dead["stranger"].BasicProperties.Headers!, RabbitMQHeaders.ExceptionMessage));
        Assert.Empty(ledger.Quantities);
    }

    [Fact]
    public async Task RemoteRequest_CarriesTheCallersTraceToTheServingSide()
    {
        var queue = NewQueue();
        using var spans = new SpanRecorder();
        await using var server = await StartServerAsync(queue, new StockLedger());
        await using var caller = await StartCallerAsync(queue);

        await caller.Get<StockModuleClient>().RequestAsync(new GetStock("traced"));

        static bool OverTheBroker(Activity span) => (string?)span.GetTagItem("messaging.system") == "rabbitmq";
        var request = spans.Single(s => s.Kind == ActivityKind.Client && OverTheBroker(s) && ((string?)s.GetTagItem("eventrouter.message_type"))?.Contains("GetStock", StringComparison.Ordinal) == true);
        await Eventually.WaitUntilAsync(() => spans.Any(s => s.Kind == ActivityKind.Server && OverTheBroker(s) && s.ParentSpanId == request.SpanId), "the serving side's span", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        var served = spans.First(s => s.Kind == ActivityKind.Server && OverTheBroker(s) && s.ParentSpanId == request.SpanId);
        Assert.Equal(request.TraceId, served.TraceId);
        // OpenTelemetry messaging attributes: operation type and name, destination, broker address.
        Assert.Equal(("send", "request", queue), ((string?)request.GetTagItem("messaging.operation.type"), (string?)request.GetTagItem("messaging.operation.name"), (string?)request.GetTagItem("messaging.destination.name")));
        Assert.Equal($"request {queue}", request.DisplayName);
        Assert.Equal(("process", "process", queue), ((string?)served.GetTagItem("messaging.operation.type"), (string?)served.GetTagItem("messaging.operation.name"), (string?)served.GetTagItem("messaging.destination.name")));
        var address = new Uri(broker.Uri);
        Assert.All(new[] { request, served }, s =>
        {
            Assert.Equal(address.Host, s.GetTagItem("server.address"));
            Assert.Equal(address.Port, s.GetTagItem("server.port"));
            Assert.Null(s.GetTagItem("messaging.operation"));
        });
        // The module's own spans on the serving side continue the same trace.
        Assert.Contains(spans, s => !OverTheBroker(s) && s.TraceId == request.TraceId && s.ParentSpanId == served.SpanId);
    }

    [Fact]
    public async Task ServeModule_WithoutTheModuleRegistered_StartFailsWithClearError()
    {
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.JsonContext = StockJsonContext.Default;
            o.ServeModule<StockModule>(NewQueue());
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Bridge.StartAsync(default));
        Assert.Contains("services.AddModuleServer<StockModule>()", error.Message);
        Assert.Null(host.Bridge.Connection);
    }

    [Fact]
    public async Task CalledModuleTypeMissingFromJsonContext_StartFailsBeforeConnecting()
    {
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.JsonContext = StockJsonContext.Default;
            o.CallModule<UnserializableModule>(NewQueue());
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Bridge.StartAsync(default));
        Assert.Contains("UnserializableModule", error.Message);
        Assert.Contains($"[JsonSerializable(typeof({typeof(Unserializable).FullName}))]", error.Message);
        Assert.Null(host.Bridge.Connection);
    }

    [Fact]
    public void ServingAndCallingOneModule_OrTwoModulesOnOneQueue_AreRejected()
    {
        var options = new RabbitMQOptions().ServeModule<StockModule>("shared");
        Assert.Throws<InvalidOperationException>(() => options.CallModule<StockModule>());
        var taken = Assert.Throws<InvalidOperationException>(() => options.ServeModule<UnserializableModule>("shared"));
        Assert.Contains("'shared'", taken.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RabbitMQOptions().CallModule<StockModule>(timeout: TimeSpan.Zero));
    }

    /// <summary>A request as a remote caller publishes it, with its deadline and no broker expiry; its answer is not read.</summary>
    private async Task PublishRequestAsync(string queue, Type requestType, string json, DateTimeOffset deadline)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties
        {
            MessageId = Guid.NewGuid().ToString("N"),
            ContentType = "application/json",
            Headers = new Dictionary<string, object?>
            {
                [RabbitMQHeaders.MessageType] = requestType.FullName,
                [RabbitMQHeaders.Deadline] = deadline.ToUnixTimeMilliseconds(),
            },
        };
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, Encoding.UTF8.GetBytes(json));
    }

    internal static string NewQueue() => "module.stock." + Guid.NewGuid().ToString("N")[..8];

    private Task<TestHost> StartServerAsync(string queue, StockLedger ledger) => StartServerAsync(broker, queue, ledger);

    internal static Task<TestHost> StartServerAsync(BrokerFixture broker, string queue, StockLedger ledger, IIdempotencyStore? store = null) =>
        TestHost.StartAsync(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.JsonContext = StockJsonContext.Default;
            o.ServeModule<StockModule>(queue);
        }, register: services =>
        {
            services.AddSingleton(ledger);
            services.AddModuleServer<StockModule>();
        }, store: store);

    private Task<TestHost> StartCallerAsync(string queue, TimeSpan? timeout = null) => StartCallerAsync(broker, queue, timeout);

    internal static Task<TestHost> StartCallerAsync(BrokerFixture broker, string queue, TimeSpan? timeout = null) =>
        TestHost.StartAsync(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.JsonContext = StockJsonContext.Default;
            o.CallModule<StockModule>(queue, timeout ?? TimeSpan.FromSeconds(60));
        });
}
