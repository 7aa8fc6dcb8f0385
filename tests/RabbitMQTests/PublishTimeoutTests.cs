using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace EventRouter.RabbitMQ.Tests;

[Collection(BrokerCollection.Name)]
public sealed class PublishTimeoutTests(BrokerFixture broker)
{
    [Fact]
    public async Task PublishNeverConfirmed_KeepsWaitingForPublishTimeout_ThenFailsWithTimeout()
    {
        var timeout = TimeSpan.FromSeconds(2);
        await using var host = await TestHost.StartAsync(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.CrossBroker("tests.stream");
            o.Consume = false;
            o.PublishTimeout = timeout;
        });
        await host.Publisher.PublishAsync(new StreamEvent("warm", 0)); // channel open, exchange declared

        await broker.SetMemoryAlarmAsync(raised: true);
        try
        {
            // The connection stays up and the message goes out, but no confirm comes back: only the publish's own
            // deadline ends the wait (the first attempt's is shared with other publishes and may end early; the retry
            // then waits for the time left).
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<BrokerPublishException>(async () => await host.Publisher.PublishAsync(new StreamEvent("never-confirmed", 1)));
            var waited = clock.Elapsed;

            Assert.Equal("never-confirmed", error.MessageId);
            Assert.IsType<TimeoutException>(error.InnerException);
            // A lower bound only, which load cannot break: the bridge gives up once PublishTimeout has elapsed, not before.
            Assert.True(waited >= timeout, $"gave up after {waited}, before the publish timeout of {timeout}");
        }
        finally
        {
            await broker.SetMemoryAlarmAsync(raised: false);
        }
    }
}
