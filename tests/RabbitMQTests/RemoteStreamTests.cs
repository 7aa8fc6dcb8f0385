using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventRouter.RabbitMQ.Tests;

public sealed record CountTicks(int Stream, int Count);
public sealed record Tick(int Stream, int Index);
public sealed record TickForever(string Name);
public sealed record TickThenFail(int Count);
public sealed record PingTicker(string Text);

/// <summary>What the ticker module did, shared with the test (the module lives in the serving host's container).</summary>
public sealed class TickerLedger
{
    private int _produced;
    private int _runs;

    /// <summary>Items the handlers yielded (counted before each <c>yield return</c>, so the item in hand counts).</summary>
    public int Produced => Volatile.Read(ref _produced);

    /// <summary>How many stream handlers started.</summary>
    public int Runs => Volatile.Read(ref _runs);

    /// <summary>Completes when a <see cref="TickForever"/> handler ended: true when its token was cancelled.</summary>
    public TaskCompletionSource<bool> ForeverEnded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void CountProduced() => Interlocked.Increment(ref _produced);

    public void CountRun() => Interlocked.Increment(ref _runs);
}

[ModuleServer]
public sealed partial class TickerModule(TickerLedger ledger) :
    IStreamRequestHandler<CountTicks, Tick>,
    IStreamRequestHandler<TickForever, Tick>,
    IStreamRequestHandler<TickThenFail, Tick>,
    IRequestHandler<PingTicker, string>
{
    public async IAsyncEnumerable<Tick> HandleAsync(CountTicks request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ledger.CountRun();
        for (var i = 0; i < request.Count; i++)
        {
            ledger.CountProduced();
            yield return new Tick(request.Stream, i);
        }
        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<Tick> HandleAsync(TickForever request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ledger.CountRun();
        try
        {
            for (var i = 0; ; i++)
            {
                ledger.CountProduced();
                yield return new Tick(0, i);
                // Asynchronous between items, as a real source is; never blocks the module's loop.
                await Task.Yield();
            }
        }
        finally
        {
            ledger.ForeverEnded.TrySetResult(cancellationToken.IsCancellationRequested);
        }
    }

    public async IAsyncEnumerable<Tick> HandleAsync(TickThenFail request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ledger.CountRun();
        for (var i = 0; i < request.Count; i++)
        {
            ledger.CountProduced();
            yield return new Tick(0, i);
        }
        await Task.CompletedTask;
        throw new InvalidOperationException($"the ticker broke after {request.Count}");
    }

    public ValueTask<string> HandleAsync(PingTicker request, CancellationToken cancellationToken) => ValueTask.FromResult("pong " + request.Text);
}

[JsonSerializable(typeof(CountTicks))]
[JsonSerializable(typeof(Tick))]
[JsonSerializable(typeof(TickForever))]
[JsonSerializable(typeof(TickThenFail))]
[JsonSerializable(typeof(PingTicker))]
[JsonSerializable(typeof(string))]
public sealed partial class TickerJsonContext : JsonSerializerContext;

/// <summary>Keeps the event ids the bridge logs, to check that malformed input is reported.</summary>
internal sealed class LogCapture : ILoggerFactory, ILogger
{
    public ConcurrentQueue<int> EventIds { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        EventIds.Enqueue(eventId.Id);
}

[Collection(BrokerCollection.Name)]
public sealed class RemoteStreamTests(BrokerFixture broker)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ManyItemsOnConcurrentStreams_ArriveInOrderWithExactCounts()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger);
        // One reader grants a single item at a time (a credit round trip per item), the other a random window.
        var window = random.Next(2, 17);
        await using var narrow = await StartCallerAsync(queue, bufferCapacity: 1);
        await using var wide = await StartCallerAsync(queue, bufferCapacity: window);
        var counts = Enumerable.Range(0, 6).Select(i => i == 0 ? 0 : random.Next(1, 400)).ToArray();

        var streams = counts.Select((count, stream) => Task.Run(async () =>
        {
            var client = (stream % 2 == 0 ? narrow : wide).Get<TickerModuleClient>();
            var ticks = new List<Tick>();
            await foreach (var tick in client.StreamAsync(new CountTicks(stream, count)))
            {
                ticks.Add(tick);
            }
            return ticks;
        })).ToArray();
        var results = await Task.WhenAll(streams).WaitAsync(TestHost.Patience);

        for (var stream = 0; stream < counts.Length; stream++)
        {
            var expected = Enumerable.Range(0, counts[stream]).Select(i => new Tick(stream, i));
            Assert.True(expected.SequenceEqual(results[stream]),
                $"seed {seed}, window {window}: stream {stream} of {counts[stream]} items got {results[stream].Count}, first difference at {FirstDifference(expected.ToList(), results[stream])}");
        }
        Assert.Equal(counts.Sum(), ledger.Produced);
        var consumer = server.Bridge.ModuleConsumers.Single();
        await Eventually.WaitUntilAsync(() => consumer.Handled == counts.Length, "every stream counted as handled", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        Assert.Equal(0, consumer.StreamsLeft);
        Assert.Equal(0, server.Bridge.MalformedStreamMessages);
    }

    [Fact]
    public async Task ReaderBreaksEarly_HandlerStopsWithinTheCreditWindow_AndTheModuleServesTheNextRequest()
    {
        const int credit = 4, moduleBuffer = 2, read = 10;
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger, o => o.StreamBufferCapacity = moduleBuffer);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: credit);
        var client = caller.Get<TickerModuleClient>();

        var seen = new List<int>();
        await foreach (var tick in client.StreamAsync(new TickForever("break")))
        {
            seen.Add(tick.Index);
            if (seen.Count == read)
            {
                break;
            }
        }

        Assert.True(await ledger.ForeverEnded.Task.WaitAsync(Guard), "the handler's token was cancelled");
        Assert.Equal(Enumerable.Range(0, read), seen);
        // Items the reader never asked for: at most its credit, the module's buffer and the item in the handler's hand.
        Assert.InRange(ledger.Produced, read, read + credit + moduleBuffer + 1);
        Assert.Equal("pong after", await client.RequestAsync(new PingTicker("after")).AsTask().WaitAsync(Guard));
        var consumer = server.Bridge.ModuleConsumers.Single();
        await Eventually.WaitUntilAsync(() => consumer.StreamsLeft == 1, "the stream counted as left by its reader", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
    }

    [Fact]
    public async Task CallerCancels_ReaderGetsOperationCanceled_AndTheHandlerEndsAtOnce()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 8);
        var client = caller.Get<TickerModuleClient>();
        using var cancel = new CancellationTokenSource();

        var seen = 0;
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var tick in client.StreamAsync(new TickForever("cancel"), cancel.Token))
            {
                Assert.Equal(seen++, tick.Index);
                if (seen == 5)
                {
                    cancel.Cancel();
                }
            }
        }).WaitAsync(Guard);

        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.Equal(5, seen);
        Assert.True(await ledger.ForeverEnded.Task.WaitAsync(Guard), "the handler's token was cancelled");
        Assert.Equal("pong next", await client.RequestAsync(new PingTicker("next")).AsTask().WaitAsync(Guard));
    }

    [Fact]
    public async Task HandlerThrows_ReaderGetsTheItemsThenRemoteModuleException()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 2);
        var client = caller.Get<TickerModuleClient>();

        var seen = new List<int>();
        var error = await Assert.ThrowsAsync<RemoteModuleException>(async () =>
        {
            await foreach (var tick in client.StreamAsync(new TickThenFail(3)))
            {
                seen.Add(tick.Index);
            }
        }).WaitAsync(Guard);

        Assert.Equal(new[] { 0, 1, 2 }, seen);
        Assert.Equal("handler-failed", error.Reason);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteExceptionType);
        Assert.Equal("the ticker broke after 3", error.RemoteMessage);
        Assert.Equal(typeof(TickThenFail), error.RequestType);
        Assert.Equal("pong on", await client.RequestAsync(new PingTicker("on")).AsTask().WaitAsync(Guard));
        Assert.Equal(1, server.Bridge.ModuleConsumers.Single().Failed);
    }

    [Fact]
    public async Task ServingModuleStopsMidStream_ReaderGetsModuleStoppedException()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);
        Task? stopping = null;

        var seen = 0;
        var error = await Assert.ThrowsAsync<ModuleStoppedException>(async () =>
        {
            await foreach (var tick in caller.Get<TickerModuleClient>().StreamAsync(new TickForever("stop")))
            {
                Assert.Equal(seen++, tick.Index);
                if (seen == 5)
                {
                    stopping = server.Get<ModuleServer<TickerModule>>().ShutdownAsync();
                }
            }
        }).WaitAsync(Guard);

        Assert.Equal("TickerModule", error.ModuleName);
        Assert.True(seen >= 5, $"{seen} items before the stop");
        await stopping!.WaitAsync(Guard);
        Assert.True(await ledger.ForeverEnded.Task.WaitAsync(Guard), "the handler's token was cancelled");
    }

    [Fact]
    public async Task ServingHostStopsMidStream_ReaderGetsModuleStoppedException()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        var server = await StartServerAsync(queue, ledger);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);
        Task? stopping = null;

        var seen = 0;
        await Assert.ThrowsAsync<ModuleStoppedException>(async () =>
        {
            await foreach (var tick in caller.Get<TickerModuleClient>().StreamAsync(new TickForever("host stop")))
            {
                Assert.Equal(seen++, tick.Index);
                if (seen == 5)
                {
                    stopping = server.DisposeAsync().AsTask();
                }
            }
        }).WaitAsync(Guard);

        await stopping!.WaitAsync(Guard);
        Assert.True(await ledger.ForeverEnded.Task.WaitAsync(Guard), "the handler's token was cancelled");
    }

    [Fact]
    public async Task ReaderWhoseConnectionCloses_IsGivenUpAfterTheItemTimeout_AndTheModuleServesTheNextRequest()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger, o => o.StreamItemTimeout = TimeSpan.FromSeconds(1));
        var caller = await StartCallerAsync(queue, bufferCapacity: 4);
        var seen = 0;
        try
        {
            await using var items = caller.Get<TickerModuleClient>().StreamAsync(new TickForever("vanish")).GetAsyncEnumerator();
            while (seen < 3 && await items.MoveNextAsync().AsTask().WaitAsync(Guard))
            {
                seen++;
            }
            // The reader vanishes without a word: no cancel, no more credit.
            await caller.Bridge.Connection!.CloseAsync();
        }
        finally
        {
            await caller.DisposeAsync();
        }

        Assert.Equal(3, seen);
        Assert.True(await ledger.ForeverEnded.Task.WaitAsync(Guard), "the handler's token was cancelled");
        await using var next = await StartCallerAsync(queue, bufferCapacity: 4);
        Assert.Equal("pong free", await next.Get<TickerModuleClient>().RequestAsync(new PingTicker("free")).AsTask().WaitAsync(Guard));
        var consumer = server.Bridge.ModuleConsumers.Single();
        await Eventually.WaitUntilAsync(() => consumer.StreamsLeft == 1, "the stream counted as left by its reader", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
    }

    [Fact]
    public async Task StreamRequestWhoseDeadlineHasPassed_IsNotRun()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger);
        var consumer = server.Bridge.ModuleConsumers.Single();

        await using (var raw = await RawReader.StartAsync(broker))
        {
            await raw.PublishRequestAsync(queue, "stale", new CountTicks(0, 5), credit: 8, DateTimeOffset.UtcNow.AddSeconds(-1));
            await Eventually.WaitUntilAsync(() => consumer.Expired == 1, "the stale stream request dropped", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        }

        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);
        var fresh = new List<Tick>();
        await foreach (var tick in caller.Get<TickerModuleClient>().StreamAsync(new CountTicks(1, 2)))
        {
            fresh.Add(tick);
        }
        Assert.Equal(new[] { new Tick(1, 0), new Tick(1, 1) }, fresh);
        Assert.Equal(1, ledger.Runs);
        Assert.Equal(2, ledger.Produced);
    }

    [Fact]
    public async Task MalformedControlMessages_AreLoggedAndIgnored_TheStreamGoesOn()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        var log = new LogCapture();
        await using var server = await StartServerAsync(queue, ledger, o => o.StreamItemTimeout = Timeout.InfiniteTimeSpan, log);
        await using var raw = await RawReader.StartAsync(broker);

        await raw.PublishRequestAsync(queue, "s1", new CountTicks(7, 20), credit: 2, DateTimeOffset.UtcNow.AddMinutes(5));
        var first = await raw.ReceiveAsync();
        var second = await raw.ReceiveAsync();
        Assert.Equal(("item", 0L), (RawReader.Kind(first), RawReader.Sequence(first)));
        Assert.Equal(("item", 1L), (RawReader.Kind(second), RawReader.Sequence(second)));
        var serverAddress = first.ReplyTo!;

        await raw.SendControlAsync(serverAddress, "s1", "credit", "lots");
        await raw.SendControlAsync(serverAddress, "s1", "credit", -5L);
        await raw.SendControlAsync(serverAddress, "s1", "bogus", null);
        await raw.SendControlAsync(serverAddress, null, "credit", 10L);
        await Eventually.WaitUntilAsync(() => server.Bridge.MalformedStreamMessages == 4, "four malformed control messages counted", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        Assert.Equal(4, log.EventIds.Count(id => id == 4017));
        // Still waiting for credit: nothing was taken as credit.
        Assert.False(raw.TryReceive(out _));

        await raw.SendControlAsync(serverAddress, "s1", "credit", 100L);
        for (var i = 2; i < 20; i++)
        {
            var item = await raw.ReceiveAsync();
            Assert.Equal(("item", (long)i), (RawReader.Kind(item), RawReader.Sequence(item)));
            Assert.Equal(new Tick(7, i), JsonSerializer.Deserialize(item.Body, TickerJsonContext.Default.Tick));
        }
        var end = await raw.ReceiveAsync();
        Assert.Equal(("end", 20L), (RawReader.Kind(end), RawReader.Sequence(end)));
        Assert.Equal(20, ledger.Produced);
    }

    [Fact]
    public async Task ItemsOutOfSequence_ReaderFailsWithGapException_AndCancelsTheStream()
    {
        var queue = NewQueue();
        // A serving side written by hand: it answers the stream request with items 0 and 2.
        await using var fake = await RawReader.StartAsync(broker);
        await fake.Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        var requests = Channel.CreateUnbounded<RawMessage>();
        var consumer = new AsyncEventingBasicConsumer(fake.Channel);
        consumer.ReceivedAsync += (_, d) =>
        {
            requests.Writer.TryWrite(RawMessage.Of(d));
            return Task.CompletedTask;
        };
        await fake.Channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);

        var seen = new List<Tick>();
        var reading = Task.Run(async () =>
        {
            await foreach (var tick in caller.Get<TickerModuleClient>().StreamAsync(new CountTicks(3, 10)))
            {
                seen.Add(tick);
            }
        });
        var request = await requests.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        await fake.SendItemAsync(request.ReplyTo!, request.CorrelationId!, 0, new Tick(3, 0));
        await fake.SendItemAsync(request.ReplyTo!, request.CorrelationId!, 2, new Tick(3, 2));

        var error = await Assert.ThrowsAsync<ModuleStreamGapException>(() => reading.WaitAsync(Guard));
        Assert.Equal((1L, 2L), (error.Expected, error.Received));
        Assert.Equal(new[] { new Tick(3, 0) }, seen);
        var cancel = await fake.ReceiveAsync();
        Assert.Equal(("cancel", request.CorrelationId), (RawReader.Kind(cancel), cancel.CorrelationId));
    }

    [Fact]
    public async Task BrokerRestartMidStream_EndsTheReaderWithConnectionLost_NeverHangs()
    {
        var queue = NewQueue();
        var ledger = new TickerLedger();
        await using var server = await StartServerAsync(queue, ledger);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);
        var seen = 0;
        var thirdItem = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The reader keeps reading while the broker stops: a reader that paused for as long as that takes would be
        // ended by the serving side as stalled instead.
        var reading = Task.Run(async () =>
        {
            await foreach (var tick in caller.Get<TickerModuleClient>().StreamAsync(new TickForever("restart")))
            {
                Assert.Equal(seen++, tick.Index);
                if (seen == 3)
                {
                    thirdItem.SetResult();
                }
            }
        });
        if (await Task.WhenAny(thirdItem.Task, reading).WaitAsync(Guard) == reading)
        {
            await reading; // failed before the third item
        }
        try
        {
            // Outside the hang guard: the broker's command-line tool may take long to stop it on a loaded machine,
            // and that is not the reader hanging. The guard starts once every connection has dropped.
            await broker.StopBrokerAsync();
            await Assert.ThrowsAsync<ModuleConnectionLostException>(() => reading.WaitAsync(Guard));
        }
        finally
        {
            await broker.StartBrokerAsync();
        }

        Assert.True(seen >= 3, $"{seen} items before the restart");
        Assert.True(await ledger.ForeverEnded.Task.WaitAsync(Guard), "the handler's token was cancelled");
    }

    [Fact]
    public async Task RemoteStream_HasASpanOnTheReadersSide_AndCarriesItsTraceToTheServingSide()
    {
        var queue = NewQueue();
        using var spans = new SpanRecorder();
        await using var server = await StartServerAsync(queue, new TickerLedger());
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);
        var outer = Activity.Current;

        var ticks = new List<Tick>();
        await foreach (var tick in caller.Get<TickerModuleClient>().StreamAsync(new CountTicks(1, 3)))
        {
            // The reader's own code between items is not inside the stream's span.
            Assert.Same(outer, Activity.Current);
            ticks.Add(tick);
        }

        Assert.Equal(3, ticks.Count);
        static bool OverTheBroker(Activity span) => (string?)span.GetTagItem("messaging.system") == "rabbitmq";
        var stream = spans.Single(s => s.Kind == ActivityKind.Client && OverTheBroker(s) && ((string?)s.GetTagItem("eventrouter.message_type"))?.Contains("CountTicks", StringComparison.Ordinal) == true);
        Assert.Equal(("send", "stream", queue), ((string?)stream.GetTagItem("messaging.operation.type"), (string?)stream.GetTagItem("messaging.operation.name"), (string?)stream.GetTagItem("messaging.destination.name")));
        Assert.Equal($"stream {queue}", stream.DisplayName);
        Assert.Equal(ActivityStatusCode.Unset, stream.Status);
        await Eventually.WaitUntilAsync(() => spans.Any(s => s.Kind == ActivityKind.Server && OverTheBroker(s) && s.ParentSpanId == stream.SpanId), "the serving side's span", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        var served = spans.First(s => s.Kind == ActivityKind.Server && OverTheBroker(s) && s.ParentSpanId == stream.SpanId);
        Assert.Equal(stream.TraceId, served.TraceId);
        // The serving module's own stream span continues the trace, and its handler's process span under it.
        var local = spans.Single(s => !OverTheBroker(s) && s.ParentSpanId == served.SpanId);
        Assert.Equal(("stream", stream.TraceId), ((string?)local.GetTagItem("messaging.operation.name"), local.TraceId));
        Assert.Contains(spans, s => !OverTheBroker(s) && s.ParentSpanId == local.SpanId && (string?)s.GetTagItem("messaging.operation.name") == "process");
    }

    [Fact]
    public async Task RemoteStream_HandlerFails_TheReadersSpanIsAnError()
    {
        var queue = NewQueue();
        using var spans = new SpanRecorder();
        await using var server = await StartServerAsync(queue, new TickerLedger());
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);

        await Assert.ThrowsAsync<RemoteModuleException>(async () =>
        {
            await foreach (var _ in caller.Get<TickerModuleClient>().StreamAsync(new TickThenFail(2)))
            {
            }
        }).WaitAsync(Guard);

        var stream = spans.Single(s => s.Kind == ActivityKind.Client && (string?)s.GetTagItem("messaging.operation.name") == "stream" && (string?)s.GetTagItem("messaging.system") == "rabbitmq");
        Assert.Equal(ActivityStatusCode.Error, stream.Status);
    }

    [Fact]
    public async Task RemoteStream_IsMeasuredOnceByTheServingModule_WithItsOutcome()
    {
        var queue = NewQueue();
        var name = "ticker-" + Guid.NewGuid().ToString("N")[..8];
        // Every stream duration of this test's request types, whichever side records it: the reader's side must not
        // count a stream the serving module already counts.
        var durations = new ConcurrentQueue<(string? Module, string? Type, string? Outcome)>();
        using var meters = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == EventRouterDiagnostics.MeterName && instrument.Name == "eventrouter.module.stream.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? module = null, type = null, outcome = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "eventrouter.module": module = tag.Value as string; break;
                    case "eventrouter.module.request_type": type = tag.Value as string; break;
                    case "eventrouter.outcome": outcome = tag.Value as string; break;
                }
            }
            if (module == name || module == nameof(TickerModule))
            {
                durations.Enqueue((module, type, outcome));
            }
        });
        meters.Start();
        await using var server = await StartServerAsync(queue, new TickerLedger(), module: o => o.Name = name);
        await using var caller = await StartCallerAsync(queue, bufferCapacity: 4);
        var client = caller.Get<TickerModuleClient>();

        await foreach (var _ in client.StreamAsync(new CountTicks(1, 3)))
        {
        }
        await Assert.ThrowsAsync<RemoteModuleException>(async () =>
        {
            await foreach (var _ in client.StreamAsync(new TickThenFail(2)))
            {
            }
        }).WaitAsync(Guard);
        // The serving side records when its module's stream ends, which the reader may see first; a reader's side
        // that recorded too would have done so before its loop returned.
        await Eventually.WaitUntilAsync(() => durations.Count >= 2, "both streams measured", timeout: TestHost.Patience, pollEvery: TestHost.Poll);

        Assert.Equal(
            new[] { (name, "CountTicks", "success"), (name, "TickThenFail", "failure") },
            durations.OrderBy(d => d.Type, StringComparer.Ordinal).Select(d => (d.Module!, d.Type!, d.Outcome!)));
    }

    private static string FirstDifference(List<Tick> expected, List<Tick> actual)
    {
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            if (expected[i] != actual[i])
            {
                return $"{i}: expected {expected[i]}, got {actual[i]}";
            }
        }
        return expected.Count == actual.Count ? "none" : $"{Math.Min(expected.Count, actual.Count)} (lengths differ)";
    }

    private static string NewQueue() => "module.ticker." + Guid.NewGuid().ToString("N")[..8];

    private Task<TestHost> StartServerAsync(string queue, TickerLedger ledger, Action<ModuleServerOptions>? module = null, LogCapture? log = null) =>
        TestHost.StartAsync(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.JsonContext = TickerJsonContext.Default;
            o.ServeModule<TickerModule>(queue);
        }, register: services =>
        {
            services.AddSingleton(ledger);
            services.AddModuleServer<TickerModule>(o => module?.Invoke(o));
            if (log is not null)
            {
                services.AddSingleton<ILoggerFactory>(log);
            }
        });

    private Task<TestHost> StartCallerAsync(string queue, int bufferCapacity) =>
        TestHost.StartAsync(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.JsonContext = TickerJsonContext.Default;
            o.ModuleStreamBufferCapacity = bufferCapacity;
            o.CallModule<TickerModule>(queue, TimeSpan.FromSeconds(60));
        });
}

/// <summary>A delivery copied out of the client's buffer.</summary>
internal sealed record RawMessage(byte[] Body, IDictionary<string, object?> Headers, string? ReplyTo, string? CorrelationId)
{
    public static RawMessage Of(BasicDeliverEventArgs delivery) => new(
        delivery.Body.ToArray(),
        delivery.BasicProperties.Headers is { } headers ? new Dictionary<string, object?>(headers) : new Dictionary<string, object?>(),
        delivery.BasicProperties.ReplyTo,
        delivery.BasicProperties.CorrelationId);
}

/// <summary>
/// A stream party written by hand on a raw channel that consumes direct reply-to: it sees the wire protocol's
/// messages as they are and can send ones the bridge would never send.
/// </summary>
internal sealed class RawReader : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly Channel<RawMessage> _inbox = System.Threading.Channels.Channel.CreateUnbounded<RawMessage>();

    private RawReader(IConnection connection, IChannel channel)
    {
        _connection = connection;
        Channel = channel;
    }

    public IChannel Channel { get; }

    public static async Task<RawReader> StartAsync(BrokerFixture broker)
    {
        var connection = await broker.ConnectAsync();
        var channel = await connection.CreateChannelAsync();
        var reader = new RawReader(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, d) =>
        {
            reader._inbox.Writer.TryWrite(RawMessage.Of(d));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync("amq.rabbitmq.reply-to", autoAck: true, consumer);
        return reader;
    }

    public Task PublishRequestAsync<T>(string queue, string correlationId, T request, int credit, DateTimeOffset deadline) =>
        Channel.BasicPublishAsync(string.Empty, queue, mandatory: true, new BasicProperties
        {
            MessageId = correlationId,
            CorrelationId = correlationId,
            ReplyTo = "amq.rabbitmq.reply-to",
            ContentType = "application/json",
            Headers = new Dictionary<string, object?>
            {
                [RabbitMQHeaders.MessageType] = typeof(T).FullName,
                [RabbitMQHeaders.Deadline] = deadline.ToUnixTimeMilliseconds(),
                [RabbitMQHeaders.StreamCredit] = credit,
            },
        }, JsonSerializer.SerializeToUtf8Bytes(request, typeof(T), TickerJsonContext.Default)).AsTask();

    public Task SendControlAsync(string address, string? correlationId, string kind, object? credit)
    {
        var headers = new Dictionary<string, object?> { [RabbitMQHeaders.Stream] = kind };
        if (credit is not null)
        {
            headers[RabbitMQHeaders.StreamCredit] = credit;
        }
        return Channel.BasicPublishAsync(string.Empty, address, mandatory: false, new BasicProperties { CorrelationId = correlationId, Headers = headers }, ReadOnlyMemory<byte>.Empty).AsTask();
    }

    public Task SendItemAsync(string address, string correlationId, long sequence, Tick tick) =>
        Channel.BasicPublishAsync(string.Empty, address, mandatory: false, new BasicProperties
        {
            CorrelationId = correlationId,
            ReplyTo = "amq.rabbitmq.reply-to",
            ContentType = "application/json",
            Headers = new Dictionary<string, object?> { [RabbitMQHeaders.Stream] = "item", [RabbitMQHeaders.StreamSequence] = sequence },
        }, JsonSerializer.SerializeToUtf8Bytes(tick, TickerJsonContext.Default.Tick)).AsTask();

    public Task<RawMessage> ReceiveAsync() => _inbox.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

    public bool TryReceive(out RawMessage? message) => _inbox.Reader.TryRead(out message);

    public static string Kind(RawMessage message) => BrokerFixture.Text(message.Headers, RabbitMQHeaders.Stream);

    public static long Sequence(RawMessage message) => message.Headers[RabbitMQHeaders.StreamSequence] switch
    {
        long l => l,
        int i => i,
        var other => throw new InvalidOperationException($"sequence {other}"),
    };

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
