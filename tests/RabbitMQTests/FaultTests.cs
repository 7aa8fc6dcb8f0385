using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using EventRouter.Tests.Infrastructure;
using RabbitMQ.Client;

namespace EventRouter.RabbitMQ.Tests;

/// <summary>
/// Faults against the real broker, with exact counts: what was confirmed runs, nothing runs twice where the
/// idempotency store remembers it, and no single message or failing dependency stops a consumer.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class FaultTests(BrokerFixture broker)
{
    [Fact]
    public async Task ServingProcessCrashesWithConfirmedCommandsQueuedInItsModule_AnotherInstanceRunsEveryOne()
    {
        const int Count = 300;
        var queue = RemoteModuleTests.NewQueue();
        var crashedLedger = new StockLedger { HoldCommands = true };
        var crashed = await RemoteModuleTests.StartServerAsync(broker, queue, crashedLedger);
        await using (var caller = await RemoteModuleTests.StartCallerAsync(broker, queue))
        {
            var client = caller.Get<StockModuleClient>();
            for (var i = 0; i < Count; i++)
            {
                await client.SendAsync(new HeldRestock("c" + i)); // confirmed by the broker
            }
        }
        // The crashed instance holds its prefetch in its module (one held in the handler, the rest queued behind it).
        await WaitForReadyAsync(queue, ready => ready <= Count - 16, "the prefetch taken into the module");

        await crashed.Bridge.CrashAsync();
        await crashed.Get<ModuleServer<StockModule>>().ShutdownAsync(ModuleShutdownMode.Immediate);

        var liveLedger = new StockLedger();
        await using var live = await RemoteModuleTests.StartServerAsync(broker, queue, liveLedger);
        await Wait(() => liveLedger.HeldRuns.Count == Count, $"every confirmed command run ({liveLedger.HeldRuns.Count} of {Count})");

        Assert.Empty(crashedLedger.HeldRuns);
        Assert.All(liveLedger.HeldRuns, run => Assert.Equal(1, run.Value));
        await crashed.DisposeAsync();
    }

    [Fact]
    public async Task BrokerRestartedWhileCommandsFlow_EveryConfirmedCommandRunsExactlyOnce()
    {
        const int Count = 1_000;
        var queue = RemoteModuleTests.NewQueue();
        var ledger = new StockLedger();
        await using var server = await RemoteModuleTests.StartServerAsync(broker, queue, ledger);
        await using var caller = await TestHost.StartAsync(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.JsonContext = StockJsonContext.Default;
            o.CallModule<StockModule>(queue);
            o.PublishTimeout = TimeSpan.FromMinutes(2); // sends wait out the restart
        });
        var client = caller.Get<StockModuleClient>();
        var sent = 0;
        var sending = Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            await client.SendAsync(new HeldRestock("r" + i), ct);
            Interlocked.Increment(ref sent);
        });
        await Wait(() => Volatile.Read(ref sent) >= Count / 4 && !ledger.HeldRuns.IsEmpty, "a quarter sent and running");
        await broker.RestartBrokerAsync(TimeSpan.FromSeconds(2));
        await sending;

        await Wait(() => ledger.HeldRuns.Count == Count, $"every confirmed command run ({ledger.HeldRuns.Count} of {Count})", timeoutSeconds: 240);
        var twice = ledger.HeldRuns.Count(run => run.Value > 1);
        Assert.True(twice == 0, $"{twice} command(s) ran more than once");
        await Wait(() => server.Bridge.Recoveries >= 1, "the serving side recovered its connection");
    }

    [Fact]
    public async Task ServingHostStopsGracefullyWithCommandsQueued_TheyRunBeforeItStops_NoneLost()
    {
        const int Count = 200;
        var queue = RemoteModuleTests.NewQueue();
        var ledger = new StockLedger();
        // Shared by both instances, as a durable store is: a command whose ack did not reach the broker before the
        // channel closed is redelivered to the next instance and skipped there.
        var store = new InMemoryIdempotencyStore();
        var server = await RemoteModuleTests.StartServerAsync(broker, queue, ledger, store);
        await using (var caller = await RemoteModuleTests.StartCallerAsync(broker, queue))
        {
            var client = caller.Get<StockModuleClient>();
            await Task.WhenAll(Enumerable.Range(0, Count).Select(i => client.SendAsync(new HeldRestock("g" + i)).AsTask()));
        }
        await Wait(() => ledger.HeldRuns.Count > 0, "the server started on the commands");
        var first = server.Bridge.ModuleConsumers.Single();
        var stopClock = System.Diagnostics.Stopwatch.StartNew();
        await server.DisposeAsync(); // the host's stop: the bridge first, then the module
        var stopTook = stopClock.Elapsed;

        var nextLedger = new StockLedger();
        await using var next = await RemoteModuleTests.StartServerAsync(broker, queue, nextLedger, store);
        await using (var connection = await broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await Wait(() => ledger.HeldRuns.Count + nextLedger.HeldRuns.Count == Count, "every command run once",
                describe: () =>
                {
                    var state = channel.QueueDeclarePassiveAsync(queue).GetAwaiter().GetResult();
                    var consumer = next.Bridge.ModuleConsumers.Single();
                    return $"{ledger.HeldRuns.Count} + {nextLedger.HeldRuns.Count} of {Count}; queue: {state.MessageCount} ready, {state.ConsumerCount} consumer(s); " +
                        $"next: handled {consumer.Handled}, failed {consumer.Failed}, duplicates {consumer.DuplicatesSkipped}, requeued {consumer.Requeued}, rejected {consumer.Rejected}; first: handled {first.Handled}, requeued {first.Requeued}, stop took {stopTook}";
                });
        }
        Assert.Empty(ledger.HeldRuns.Keys.Intersect(nextLedger.HeldRuns.Keys)); // none ran twice
        Assert.All(ledger.HeldRuns.Concat(nextLedger.HeldRuns), run => Assert.Equal(1, run.Value));
    }

    [Fact]
    public async Task CommandDeliveredTwice_RunsOnce_ADifferentCommandReusingItsIdRuns()
    {
        var queue = RemoteModuleTests.NewQueue();
        var ledger = new StockLedger();
        await using var server = await RemoteModuleTests.StartServerAsync(broker, queue, ledger);
        var consumer = server.Bridge.ModuleConsumers.Single();
        await using (var connection = await broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var type = typeof(HeldRestock).FullName!;
            // A publish retried after a lost confirm: the same id and bytes twice. Then another command with that id.
            await BrokerFixture.PublishRawAsync(channel, queue, "cmd-1", RabbitMQHeaders.MessageType, type, "{\"Sku\":\"once\"}");
            await BrokerFixture.PublishRawAsync(channel, queue, "cmd-1", RabbitMQHeaders.MessageType, type, "{\"Sku\":\"once\"}");
            await BrokerFixture.PublishRawAsync(channel, queue, "cmd-1", RabbitMQHeaders.MessageType, type, "{\"Sku\":\"other\"}");
        }
        await Wait(() => consumer.Handled + consumer.DuplicatesSkipped == 3, "three deliveries accounted for");
        Assert.Equal(1, consumer.DuplicatesSkipped);
        Assert.Equal(1, ledger.HeldRuns["once"]);
        Assert.Equal(1, ledger.HeldRuns["other"]);
    }

    [Fact]
    public async Task EventRedelivered_IsSkippedAndCounted_ADifferentEventReusingItsIdRuns()
    {
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), recorder, o => o.CrossBroker("tests.poison"));
        var consumer = host.Bridge.Consumers.Single();
        await using (var connection = await broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await BrokerFixture.PublishRawAsync(channel, consumer.Queue, "evt-1", RabbitMQHeaders.EventName, "tests.poison", "{\"Id\":\"a\",\"Amount\":1}");
            await BrokerFixture.PublishRawAsync(channel, consumer.Queue, "evt-1", RabbitMQHeaders.EventName, "tests.poison", "{\"Id\":\"a\",\"Amount\":1}");
            await BrokerFixture.PublishRawAsync(channel, consumer.Queue, "evt-1", RabbitMQHeaders.EventName, "tests.poison", "{\"Id\":\"b\",\"Amount\":2}");
        }
        await Wait(() => consumer.Handled + consumer.DuplicatesSkipped == 3, "three deliveries accounted for");
        Assert.Equal(1, consumer.DuplicatesSkipped);
        Assert.Equal(1, recorder.Calls[(nameof(PoisonSurvivor), "a")]);
        Assert.Equal(1, recorder.Calls[(nameof(PoisonSurvivor), "b")]);
    }

    [Fact]
    public async Task OversizedWrongTypeAndBrokenRetryHeader_GoToTheErrorQueueWithReasons_ConsumerGoesOn()
    {
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), recorder, o =>
        {
            o.CrossBroker("tests.poison", "tests.doomed");
            o.DelayedRetries.Clear();
            o.ImmediateAttempts = 1;
            o.MaxMessageSize = 1024 * 1024;
        });
        var poison = host.Bridge.Consumers.Single(c => c.Queue.EndsWith(nameof(PoisonSurvivor), StringComparison.Ordinal));
        var doomed = host.Bridge.Consumers.Single(c => c.Queue.EndsWith(nameof(AlwaysFails), StringComparison.Ordinal));

        var tooLarge = await Assert.ThrowsAsync<MessageTooLargeException>(() =>
            host.Publisher.PublishAsync(new PoisonEvent(new string('x', 2 * 1024 * 1024), 1)).AsTask());
        Assert.Equal("tests.poison", tooLarge.Name);

        await using (var connection = await broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            // Above the client's default read limit (64 MiB), below the broker's (128 MiB): it must not break the connection.
            var huge = new BasicProperties { MessageId = "huge", ContentType = "application/json", Headers = new Dictionary<string, object?> { [RabbitMQHeaders.EventName] = "tests.poison" } };
            await channel.BasicPublishAsync(string.Empty, poison.Queue, mandatory: true, huge, new byte[65 * 1024 * 1024]);
            var text = new BasicProperties { MessageId = "text", ContentType = "text/plain", Headers = new Dictionary<string, object?> { [RabbitMQHeaders.EventName] = "tests.poison" } };
            await channel.BasicPublishAsync(string.Empty, poison.Queue, mandatory: true, text, Encoding.UTF8.GetBytes("{\"Id\":\"t\",\"Amount\":1}"));
            foreach (var (id, retries) in new[] { ("minus-one", (object)(-1)), ("all-ones", (object)4294967295L) })
            {
                var properties = new BasicProperties
                {
                    MessageId = id,
                    ContentType = "application/json",
                    Headers = new Dictionary<string, object?> { [RabbitMQHeaders.EventName] = "tests.doomed", [RabbitMQHeaders.DelayedRetries] = retries },
                };
                await channel.BasicPublishAsync(string.Empty, doomed.Queue, mandatory: true, properties, Encoding.UTF8.GetBytes($"{{\"Id\":\"{id}\"}}"));
            }
        }
        await host.Publisher.PublishAsync(new PoisonEvent("after", 1));

        await Wait(() => recorder.Calls.ContainsKey((nameof(PoisonSurvivor), "after")), "the event after the bad ones");
        await Wait(() => poison.DeadLettered == 2 && doomed.DeadLettered == 2, "four messages in the error queues");
        var dead = (await broker.DrainAsync(poison.ErrorQueue)).ToDictionary(m => m.BasicProperties.MessageId!, m => BrokerFixture.Text(m.BasicProperties.Headers!, RabbitMQHeaders.Reason));
        Assert.Equal("message-too-large", dead["huge"]);
        Assert.Equal("unsupported-content-type", dead["text"]);
        var failed = await broker.DrainAsync(doomed.ErrorQueue);
        Assert.All(failed, m => Assert.Equal("listener-failed", BrokerFixture.Text(m.BasicProperties.Headers!, RabbitMQHeaders.Reason)));
        Assert.Equal(0, host.Bridge.Recoveries);
        Assert.False(recorder.Calls.ContainsKey((nameof(PoisonSurvivor), "t")));
    }

    [Fact]
    public async Task IdempotencyStoreThrows_DeliveriesGoBackToTheQueue_EveryEventHandledOnceWhenItRecovers()
    {
        const int Count = 50;
        var seed = Environment.TickCount;
        var store = new FlakyStore(new Random(seed), failures: 20);
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), recorder, o =>
        {
            o.CrossBroker("tests.killed");
            o.ImmediateRetryDelay = TimeSpan.FromMilliseconds(10);
        }, store);
        for (var i = 0; i < Count; i++)
        {
            await host.Publisher.PublishAsync(new KilledEvent("k" + i));
        }
        await Wait(() => recorder.Count(nameof(KilledListener)) == Count, $"every event handled (seed {seed}, {recorder.Count(nameof(KilledListener))} of {Count})");
        Assert.True(store.Thrown > 0, $"the store threw (seed {seed})");
        Assert.All(recorder.Calls.Values, calls => Assert.Equal(1, calls));
        Assert.Equal(0, host.Bridge.Consumers.Single().DeadLettered);
    }

    [Fact]
    public async Task BrokerClosesAConsumersChannel_ItIsReopened_AndConsumes()
    {
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), recorder, o => o.CrossBroker("tests.killed"));
        var consumer = host.Bridge.Consumers.Single();

        // An ack of a delivery the channel never had: the broker closes that channel (406), not the connection.
        await consumer.Channel!.BasicAckAsync(999_999, multiple: false);
        await Wait(() => consumer.Reopened == 1, "the channel reopened");

        await host.Publisher.PublishAsync(new KilledEvent("after-close"));
        await Wait(() => recorder.Calls.ContainsKey((nameof(KilledListener), "after-close")), "the event after the reopen");
    }

    [Fact]
    public async Task CallerLosesItsConnectionMidRequest_FailsAtOnceWithATypedError()
    {
        var queue = RemoteModuleTests.NewQueue();
        var ledger = new StockLedger();
        await using var server = await RemoteModuleTests.StartServerAsync(broker, queue, ledger);
        await using var caller = await RemoteModuleTests.StartCallerAsync(broker, queue, TimeSpan.FromMinutes(5));

        var pending = caller.Get<StockModuleClient>().RequestAsync(new CountStockSlowly("held")).AsTask();
        await Wait(() => ledger.Requests.Contains("held"), "the request running on the server");
        await caller.Bridge.Connection!.AbortAsync();

        var lost = await Assert.ThrowsAsync<ModuleConnectionLostException>(() => pending.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(typeof(CountStockSlowly), lost.RequestType);
        ledger.SlowCount.Release();
    }

    [Fact]
    public async Task AppStartsBeforeItsBroker_PublishWaitsForIt_ConsumersStartWhenItComes()
    {
        var recorder = new Recorder();
        var service = TestHost.NewServiceName();
        // An earlier run declared the service's queue (an event published to an exchange no queue is bound to is gone).
        await (await TestHost.StartAsync(broker, service, recorder, o => o.CrossBroker("tests.killed"))).DisposeAsync();
        await using var host = TestHost.Create(broker, service, recorder, o =>
        {
            o.CrossBroker("tests.killed");
            o.PublishTimeout = TimeSpan.FromMinutes(2);
        });
        var status = host.Get<RabbitMQBridgeStatus>();
        Task publish;
        await broker.StopBrokerAsync();
        try
        {
            await host.StartAsync(); // does not fail: connects in the background
            publish = host.Publisher.PublishAsync(new KilledEvent("early")).AsTask();
            await Wait(() => status.ConnectAttempts >= 2, "attempts while the broker is down");
            Assert.Equal(RabbitMQConnectionState.Connecting, status.State);
            Assert.False(publish.IsCompleted);
        }
        finally
        {
            await broker.StartBrokerAsync();
        }
        await publish.WaitAsync(TimeSpan.FromMinutes(3));
        await Wait(() => recorder.Calls.ContainsKey((nameof(KilledListener), "early")), "the event published before the broker came");
        Assert.Equal(RabbitMQConnectionState.Connected, status.State);
        Assert.Single(host.Bridge.Consumers);
    }

    /// <summary>Polls like the other broker tests; a timeout names what was awaited and, when given, the state then.</summary>
    internal static async Task Wait(Func<bool> condition, string what, int timeoutSeconds = 120, Func<string>? describe = null)
    {
        try
        {
            await Eventually.WaitUntilAsync(condition, what, timeout: TimeSpan.FromSeconds(timeoutSeconds), pollEvery: TestHost.Poll);
        }
        catch (TimeoutException ex) when (describe is not null)
        {
            throw new TimeoutException($"{ex.Message} ({describe()})", ex);
        }
    }

    private async Task WaitForReadyAsync(string queue, Func<uint, bool> condition, string what)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        uint ready = 0;
        await Wait(() =>
        {
            ready = channel.QueueDeclarePassiveAsync(queue).GetAwaiter().GetResult().MessageCount;
            return condition(ready);
        }, what);
    }

    /// <summary>A store that throws on some calls (chosen at random) until it has thrown <c>failures</c> times, as a database in an outage does.</summary>
    private sealed class FlakyStore(Random random, int failures) : IIdempotencyStore
    {
        private readonly InMemoryIdempotencyStore _inner = new();
        private int _thrown;

        public int Thrown => Volatile.Read(ref _thrown);

        public ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
        {
            lock (random)
            {
                if (_thrown < failures && random.Next(2) == 0)
                {
                    _thrown++;
                    throw new InvalidOperationException("the store's database is down");
                }
            }
            return _inner.IsCompletedAsync(eventId, listenerName, cancellationToken);
        }

        public ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken) =>
            _inner.MarkCompletedAsync(eventId, listenerName, cancellationToken);
    }
}
