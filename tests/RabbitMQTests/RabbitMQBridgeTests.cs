using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Tests.Infrastructure;
using RabbitMQ.Client;

namespace EventRouter.RabbitMQ.Tests;

[Collection(BrokerCollection.Name)]
public sealed class RabbitMQBridgeTests(BrokerFixture broker)
{
    [Fact]
    public async Task BrokerRestartedMidStream_EveryEventHandledExactlyOncePerListener_NoneLost()
    {
        const int Count = 10_000;
        var recorder = new Recorder();
        var service = TestHost.NewServiceName();
        await using var host = await TestHost.StartAsync(broker, service, recorder, o =>
        {
            o.CrossBroker("tests.stream");
            o.PrefetchCount = 100;
            o.ConsumerConcurrency = 4;
            o.PublishTimeout = TimeSpan.FromMinutes(2); // publishes wait out the restart
        });
        Assert.Equal(2, host.Bridge.Consumers.Count);

        var published = 0;
        var publishing = Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            await host.Publisher.PublishAsync(new StreamEvent($"s-{i}", i), ct);
            Interlocked.Increment(ref published);
        });

        // Restart while both publishing and consuming are in full flow.
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref published) >= Count / 4 && recorder.Count(nameof(StreamAudit)) > 0, "a quarter published and consumption started", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        Assert.True(Volatile.Read(ref published) < Count, "the restart must happen while publishing");
        await broker.RestartBrokerAsync(TimeSpan.FromSeconds(2));
        await publishing;
        await Eventually.WaitUntilAsync(() => host.Bridge.Recoveries >= 1, "the connection recovered", timeout: TestHost.Patience, pollEvery: TestHost.Poll);

        await Eventually.WaitUntilAsync(
            () => recorder.Count(nameof(StreamAudit)) == Count && recorder.Count(nameof(StreamProjection)) == Count,
            $"every event at both listeners (audit {recorder.Count(nameof(StreamAudit))}, projection {recorder.Count(nameof(StreamProjection))})",
            timeout: TimeSpan.FromSeconds(240), pollEvery: TestHost.Poll);
        await WaitUntilQueuesEmptyAsync(host.Bridge.Consumers.Select(c => c.Queue));

        foreach (var listener in new[] { nameof(StreamAudit), nameof(StreamProjection) })
        {
            for (var i = 0; i < Count; i++)
            {
                Assert.True(recorder.Calls.TryGetValue((listener, $"s-{i}"), out var calls), $"{listener} never handled s-{i}");
                Assert.True(calls == 1, $"{listener} handled s-{i} {calls} times");
            }
        }
        Assert.All(host.Bridge.Consumers, c => Assert.Equal(0, c.DeadLettered));
    }

    [Fact]
    public async Task AlwaysFailingListener_RetriedInProcessAndDelayed_ThenDeadLetteredWithExceptionHeaders()
    {
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), recorder, o =>
        {
            o.CrossBroker("tests.doomed");
            o.ImmediateAttempts = 2;
            o.ImmediateRetryDelay = TimeSpan.FromMilliseconds(10);
            o.DelayedRetries.Clear();
            o.DelayedRetries.Add(TimeSpan.FromMilliseconds(300));
        });
        var consumer = Assert.Single(host.Bridge.Consumers);

        await host.Publisher.PublishAsync(new DoomedEvent("d-1"));
        await Eventually.WaitUntilAsync(() => consumer.DeadLettered == 1, "the message in the error queue", timeout: TestHost.Patience, pollEvery: TestHost.Poll);

        // 2 in process, then once more after the delay queue sent it back.
        Assert.Equal(4, recorder.Calls[(nameof(AlwaysFails), "d-1")]);
        var dead = Assert.Single(await broker.DrainAsync(consumer.ErrorQueue));
        Assert.Equal("d-1", dead.BasicProperties.MessageId);
        var headers = dead.BasicProperties.Headers!;
        Assert.Equal("listener-failed", BrokerFixture.Text(headers, RabbitMQHeaders.Reason));
        Assert.Equal(typeof(InvalidOperationException).FullName, BrokerFixture.Text(headers, RabbitMQHeaders.ExceptionType));
        Assert.Equal("payment service rejected d-1", BrokerFixture.Text(headers, RabbitMQHeaders.ExceptionMessage));
        Assert.Contains(nameof(AlwaysFails), BrokerFixture.Text(headers, RabbitMQHeaders.ExceptionStackTrace));
        Assert.Equal(typeof(AlwaysFails).FullName, BrokerFixture.Text(headers, RabbitMQHeaders.Listener));
        Assert.Equal(consumer.Queue, BrokerFixture.Text(headers, RabbitMQHeaders.SourceQueue));
        Assert.Equal("tests.doomed", BrokerFixture.Text(headers, RabbitMQHeaders.EventName));
        Assert.Equal(4, Convert.ToInt32(headers[RabbitMQHeaders.Attempts]));
        Assert.Equal("{\"Id\":\"d-1\"}", Encoding.UTF8.GetString(dead.Body.Span));
    }

    [Fact]
    public async Task MalformedJsonAndUnknownEventName_DeadLetteredWithReason_ConsumerKeepsGoing()
    {
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), recorder, o => o.CrossBroker("tests.poison"));
        var consumer = Assert.Single(host.Bridge.Consumers);

        await using (var connection = await broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await BrokerFixture.PublishRawAsync(channel, consumer.Queue, "bad-json", RabbitMQHeaders.EventName, "tests.poison", "{\"Id\": \"p-x\", \"Amount\": ");
            await BrokerFixture.PublishRawAsync(channel, consumer.Queue, "bad-shape", RabbitMQHeaders.EventName, "tests.poison", "{\"Id\": \"p-y\", \"Amount\": \"many\"}");
            await BrokerFixture.PublishRawAsync(channel, consumer.Queue, "stranger", RabbitMQHeaders.EventName, "tests.nobody-knows-me", "{}");
        }
        await host.Publisher.PublishAsync(new PoisonEvent("p-ok", 3));

        await Eventually.WaitUntilAsync(() => recorder.Calls.ContainsKey((nameof(PoisonSurvivor), "p-ok")), "the valid event after the poison ones", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        await Eventually.WaitUntilAsync(() => consumer.DeadLettered == 3, "three dead letters", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        var dead = (await broker.DrainAsync(consumer.ErrorQueue)).ToDictionary(m => m.BasicProperties.MessageId!);
        Assert.Equal(3, dead.Count);
        Assert.Equal("malformed-json", BrokerFixture.Text(dead["bad-json"].BasicProperties.Headers!, RabbitMQHeaders.Reason));
        Assert.Equal("malformed-json", BrokerFixture.Text(dead["bad-shape"].BasicProperties.Headers!, RabbitMQHeaders.Reason));
        Assert.Equal("unknown-event", BrokerFixture.Text(dead["stranger"].BasicProperties.Headers!, RabbitMQHeaders.Reason));
        Assert.Contains("tests.nobody-knows-me", BrokerFixture.Text(dead["stranger"].BasicProperties.Headers!, RabbitMQHeaders.ExceptionMessage));
        Assert.Single(recorder.Calls);
    }

    [Fact]
    public async Task ConsumerKilledBeforeAck_MessageRedelivered_AndDeduplicated()
    {
        var recorder = new Recorder();
        var service = TestHost.NewServiceName();
        var store = new InMemoryIdempotencyStore(); // stands for a durable store shared by the service's instances
        var handledNotAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = await TestHost.StartAsync(broker, service, recorder, o =>
        {
            o.CrossBroker("tests.killed");
            o.BeforeAck = async (_, ct) =>
            {
                handledNotAcked.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct); // "crash" here: the listener ran, the ack never goes out
            };
        }, store);
        await first.Publisher.PublishAsync(new KilledEvent("k-1"));
        await handledNotAcked.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, recorder.Calls[(nameof(KilledListener), "k-1")]);

        // Kill the instance abruptly: no ack, no clean consumer cancel.
        await first.Bridge.CrashAsync();
        await first.DisposeAsync();

        await using var second = await TestHost.StartAsync(broker, service, recorder, o => o.CrossBroker("tests.killed"), store);
        var consumer = Assert.Single(second.Bridge.Consumers);
        await Eventually.WaitUntilAsync(() => consumer.DuplicatesSkipped == 1, "the redelivery skipped as a duplicate", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        await WaitUntilQueuesEmptyAsync([consumer.Queue]);
        Assert.Equal(1, recorder.Calls[(nameof(KilledListener), "k-1")]);
        Assert.Equal(0, consumer.Handled);
    }

    [Fact]
    public async Task Publish_SetsMessageIdEventNameContentTypeAndTraceParent()
    {
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o => o.CrossBroker<TracedEvent>());
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("tests.traced", ExchangeType.Fanout, durable: true);
        var probe = (await channel.QueueDeclareAsync(exclusive: true)).QueueName;
        await channel.QueueBindAsync(probe, "tests.traced", string.Empty);

        using var activity = new Activity("checkout").SetIdFormat(ActivityIdFormat.W3C).Start();
        var id = await host.Publisher.PublishAsync(new TracedEvent("trace-1"));
        activity.Stop();

        Assert.Equal("trace-1", id);
        var message = Assert.Single(await broker.DrainAsync(probe, channel));
        Assert.Equal("trace-1", message.BasicProperties.MessageId);
        Assert.Equal("application/json", message.BasicProperties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, message.BasicProperties.DeliveryMode);
        Assert.Equal("tests.traced", BrokerFixture.Text(message.BasicProperties.Headers!, RabbitMQHeaders.EventName));
        var traceParent = BrokerFixture.Text(message.BasicProperties.Headers!, RabbitMQHeaders.TraceParent);
        Assert.True(ActivityContext.TryParse(traceParent, null, out var context), traceParent);
        Assert.Equal(activity.TraceId, context.TraceId);
    }

    [Fact]
    public async Task Publish_SpanCarriesTheMessagingConventionsAttributes()
    {
        using var spans = new SpanRecorder();
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o => o.CrossBroker<TracedEvent>());

        var id = await host.Publisher.PublishAsync(new TracedEvent("conventions-" + Guid.NewGuid().ToString("N")));

        var span = Assert.Single(spans, s => Equals(s.GetTagItem("messaging.message.id"), id));
        var address = new Uri(broker.Uri);
        Assert.Equal(ActivityKind.Producer, span.Kind);
        Assert.Equal("publish tests.traced", span.DisplayName);
        Assert.Equal("rabbitmq", span.GetTagItem("messaging.system"));
        Assert.Equal("send", span.GetTagItem("messaging.operation.type"));
        Assert.Equal("publish", span.GetTagItem("messaging.operation.name"));
        Assert.Equal("tests.traced", span.GetTagItem("messaging.destination.name"));
        Assert.Equal(address.Host, span.GetTagItem("server.address"));
        Assert.Equal(address.Port, span.GetTagItem("server.port"));
        Assert.Null(span.GetTagItem("messaging.operation")); // the attribute the conventions replaced
    }

    [Fact]
    public async Task DerivedEvent_AlsoReachesQueuesBoundToItsBaseEventExchange()
    {
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o => o.CrossBroker<DogEvent>());
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("tests.animal", ExchangeType.Fanout, durable: true);
        var animals = (await channel.QueueDeclareAsync(exclusive: true)).QueueName;
        await channel.QueueBindAsync(animals, "tests.animal", string.Empty);

        await host.Publisher.PublishAsync(new DogEvent("dog-1", "beagle"));

        var message = Assert.Single(await broker.DrainAsync(animals, channel));
        Assert.Equal("tests.dog", BrokerFixture.Text(message.BasicProperties.Headers!, RabbitMQHeaders.EventName));
        Assert.Equal("dog-1", message.BasicProperties.MessageId);
    }

    [Fact]
    public async Task PublishDuringOutage_WaitsBounded_ThenFailsClearly_AndWorksAfterRecovery()
    {
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), recorder, o =>
        {
            o.CrossBroker("tests.poison");
            o.PublishTimeout = TimeSpan.FromSeconds(3);
        });
        await broker.StopBrokerAsync();
        try
        {
            var error = await Assert.ThrowsAsync<BrokerPublishException>(async () => await host.Publisher.PublishAsync(new PoisonEvent("o-1", 1)));
            Assert.Equal("o-1", error.MessageId);
            Assert.Contains("not confirmed", error.Message);
        }
        finally
        {
            await broker.StartBrokerAsync();
        }

        // After recovery the same message id goes through (a retry by the caller), and the consumer is back.
        await PublishEventuallyAsync(host.Publisher, new PoisonEvent("o-1", 1));
        await Eventually.WaitUntilAsync(() => recorder.Calls.ContainsKey((nameof(PoisonSurvivor), "o-1")), "the consumer recovered and handled the retried event", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
    }

    [Fact]
    public async Task WrongCredentials_StartFailsWithClearError()
    {
        var uri = new UriBuilder(broker.Uri) { UserName = "guest", Password = "wrong-password" }.Uri.ToString();
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o => { o.ConnectionString = uri; o.CrossBroker("tests.poison"); });
        var error = await Assert.ThrowsAsync<BrokerConnectionException>(() => host.Bridge.StartAsync(default));
        Assert.Contains("refused the credentials of user 'guest'", error.Message);
        Assert.DoesNotContain("wrong-password", error.Message);
    }

    [Fact]
    public async Task UnreachableHost_StartSucceeds_ConnectsInTheBackground_PublishFailsBoundedWithTheReason()
    {
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.ConnectionString = "amqp://guest:guest@127.0.0.1:1/"; // nothing listens on port 1
            o.CrossBroker("tests.poison");
            o.PublishTimeout = TimeSpan.FromSeconds(1);
        });
        await host.Bridge.StartAsync(default);
        var status = host.Get<RabbitMQBridgeStatus>();

        await FaultTests.Wait(() => status.ConnectAttempts >= 3, "attempts in the background");
        Assert.Equal(RabbitMQConnectionState.Connecting, status.State);
        Assert.Contains("Cannot reach RabbitMQ at 127.0.0.1:1", status.LastError);
        var error = await Assert.ThrowsAsync<BrokerPublishException>(() => host.Publisher.PublishAsync(new PoisonEvent("p", 1)).AsTask());
        Assert.Contains("Cannot reach RabbitMQ at 127.0.0.1:1", error.Message);
        await host.Bridge.StopAsync(default);
        Assert.Equal(RabbitMQConnectionState.Stopped, status.State);
    }

    [Fact]
    public async Task EventMissingFromJsonContext_StartFailsBeforeConnecting()
    {
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o => o.CrossBroker("tests.not-in-context"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Bridge.StartAsync(default));
        Assert.Contains("tests.not-in-context", error.Message);
        Assert.Contains($"[JsonSerializable(typeof({typeof(NotInContextEvent).FullName}))]", error.Message);
        Assert.Null(host.Bridge.Connection);
    }

    [Fact]
    public async Task PublishOfEventNotOptedIn_Throws()
    {
        await using var host = TestHost.Create(broker, TestHost.NewServiceName(), new Recorder(), o => o.CrossBroker("tests.poison"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await host.Publisher.PublishAsync(new KilledEvent("x")));
        Assert.Contains("CrossBroker(\"tests.killed\")", error.Message);
    }

    private static async Task PublishEventuallyAsync<T>(IBrokerPublisher publisher, T @event) where T : notnull
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await publisher.PublishAsync(@event);
                return;
            }
            catch (BrokerPublishException) when (clock.Elapsed < TimeSpan.FromSeconds(120))
            {
            }
        }
    }

    private async Task WaitUntilQueuesEmptyAsync(IEnumerable<string> queues)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            var clock = Stopwatch.StartNew();
            // Ready and unacknowledged both count: consumer_count alone would not show unacked deliveries, so poll the
            // ready count and then give in-flight acks a moment by requiring it twice in a row.
            var emptyInARow = 0;
            while (emptyInARow < 2)
            {
                var ok = await channel.QueueDeclarePassiveAsync(queue);
                emptyInARow = ok.MessageCount == 0 ? emptyInARow + 1 : 0;
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"queue {queue} still holds {ok.MessageCount} message(s)");
                await Task.Delay(250);
            }
        }
    }


}
