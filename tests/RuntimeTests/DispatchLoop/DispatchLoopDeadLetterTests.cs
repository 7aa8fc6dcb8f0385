using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>After the last attempt, event, listener, exception and attempts go to the dead-letter sink.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopDeadLetterTests
{
    [Fact]
    public async Task Deliver_LastAttemptFails_DeadLetterCarriesEventListenerExceptionAndAttempts()
    {
        var sink = new ListDeadLetterSink();
        var attempt = 0;
        var dispatcher = new TestDispatcher().Route(
            TestListener<Identified>.Of<ListenerA>(_ => { }),
            TestListener<Identified>.Of<ListenerB>(_ => throw new InvalidOperationException("attempt " + Interlocked.Increment(ref attempt))));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            DeadLetterSink = sink, RetryPolicy = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.Zero },
        });
        loop.Start();

        var evt = new Identified("evt-5", 5);
        await loop.EnqueueAsync(evt);
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        var letter = Assert.Single(sink.Letters);
        Assert.Same(evt, letter.Event);
        Assert.Equal(nameof(Identified), letter.EventName);
        Assert.Equal("evt-5", letter.EventId);
        Assert.Equal(typeof(ListenerB), letter.Listener.ListenerType);
        Assert.Equal("attempt 3", letter.Exception.Message);
        Assert.Equal(3, letter.Attempts);
        Assert.Equal((0, 1, 2), (loop.Counts.Handled, loop.Counts.DeadLettered, loop.Counts.Retries));
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task Deliver_DefaultSink_LogsDeadLetterAsError()
    {
        var logs = new LogCapture();
        var dispatcher = new TestDispatcher(options: new EventRouterOptions { LoggerFactory = logs })
            .Route(TestListener<Ping>.Of<ListenerA>(_ => throw new InvalidOperationException("boom")));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = RetryPolicy.None });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        var entry = Assert.Single(logs.Entries, e => e.Id.Id == 2002);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("boom", entry.Exception!.Message);
        Assert.Contains(typeof(ListenerA).FullName!, entry.Message, StringComparison.Ordinal);
        Assert.Contains("1 attempt", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_DeadLetterSinkThrows_DeadLetterIsLoggedAndCounted()
    {
        var logs = new LogCapture();
        var dispatcher = new TestDispatcher(options: new EventRouterOptions { LoggerFactory = logs })
            .Route(TestListener<Ping>.Of<ListenerA>(_ => throw new InvalidOperationException("boom")));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = RetryPolicy.None, DeadLetterSink = new BrokenSink() });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Contains(logs.Entries, e => e.Id.Id == 2003 && e.Exception is InvalidProgramException);
        Assert.Contains(logs.Entries, e => e.Id.Id == 2002 && e.Exception!.Message == "boom");
        Assert.Equal(1, loop.Counts.DeadLettered);
        LoopAssert.Balanced(loop.Counts);
    }

    private sealed class BrokenSink : IDeadLetterSink
    {
        public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken) => throw new InvalidProgramException("sink down");
    }
}
