using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Testing;

namespace EventRouter.Tests.Modules;

public sealed class ModuleStreamTests : IAsyncLifetime
{
    // A safety net so a bug shows up as a failed test instead of a hung run; never a timing assertion.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly List<ModuleServer> _servers = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private (StreamTestModule Module, ModuleServer<StreamTestModule> Server, StreamTestModuleClient Client) Start(Action<ModuleServerOptions>? configure = null)
    {
        var module = new StreamTestModule();
        var options = new ModuleServerOptions();
        configure?.Invoke(options);
        var server = new ModuleServer<StreamTestModule>(module, options);
        _servers.Add(server);
        server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        var client = new StreamTestModuleClient(server);
        module.Self = client;
        return (module, server, client);
    }

    private static async Task<T> Guard<T>(ValueTask<T> task) => await task.AsTask().WaitAsync(HangGuard);

    private static async Task<T> Guard<T>(Task<T> task) => await task.WaitAsync(HangGuard);

    private static async Task<List<T>> ReadAllAsync<T>(IAsyncEnumerable<T> stream)
    {
        var items = new List<T>();
        await foreach (var item in stream)
        {
            items.Add(item);
        }
        return items;
    }

    // 1. Items, order, the module held for the stream.

    [Theory]
    [InlineData(1, 0)]
    [InlineData(4, 0)]
    [InlineData(4, 3)]
    [InlineData(64, 7)]
    public async Task StreamAsync_ReadToTheEnd_YieldsEveryItemInOrder(int buffer, int yieldEvery)
    {
        var (module, _, client) = Start(o => o.StreamBufferCapacity = buffer);

        var items = await Guard(ReadAllAsync(client.StreamAsync(new CountTo(200, yieldEvery))));

        Assert.Equal(Enumerable.Range(0, 200), items);
        Assert.Equal(new[] { "count:start", "count:end" }, module.Log());
    }

    [Fact]
    public async Task StreamAsync_NotEnumerated_SendsNothing()
    {
        var (module, _, client) = Start();

        _ = client.StreamAsync(new CountTo(3));
        var log = await Guard(client.RequestAsync(new ReadLog()));

        Assert.Empty(log);
    }

    [Fact]
    public async Task StreamAsync_EnumeratedTwice_RunsTheHandlerTwice()
    {
        var (module, _, client) = Start();
        var stream = client.StreamAsync(new CountTo(3));

        var first = await Guard(ReadAllAsync(stream));
        var second = await Guard(ReadAllAsync(stream));

        Assert.Equal(new[] { 0, 1, 2 }, first);
        Assert.Equal(first, second);
        Assert.Equal(new[] { "count:start", "count:end", "count:start", "count:end" }, module.Log());
    }

    [Fact]
    public async Task StreamAsync_WhileProducing_HoldsTheModuleUntilTheStreamEnds()
    {
        var (module, _, client) = Start();
        var reader = client.StreamAsync(new Endless("a")).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));

        var request = client.RequestAsync(new ReadLog()).AsTask();
        await reader.DisposeAsync();
        var log = await Guard(request);

        // The request was queued while the stream ran, so it ran after the handler's finally.
        Assert.Equal(new[] { "endless:a", "endless:end" }, log);
        Assert.Equal(1, module.MaxConcurrency);
    }

    [Fact]
    public async Task StreamAsync_SlowReader_HandlerRunsAtMostBufferPlusOneAhead()
    {
        const int Buffer = 3;
        var (module, _, client) = Start(o => o.StreamBufferCapacity = Buffer);
        var reader = client.StreamAsync(new Endless("slow")).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));
        module.Took();

        // Item 0 taken, 1…Buffer buffered, Buffer+1 yielded and waiting for room: the handler stops there.
        await Eventually.WaitUntilAsync(() => module.Yielded == Buffer + 2);
        for (var expected = 1; expected <= 50; expected++)
        {
            Assert.True(await Guard(reader.MoveNextAsync()));
            Assert.Equal(expected, reader.Current);
            module.Took();
        }
        await reader.DisposeAsync();

        Assert.True(await Guard(module.Finished.Task));
        Assert.InRange(module.MaxAhead, 1, Buffer + 1);
    }

    // 2. The reader leaves: break, cancellation.

    [Fact]
    public async Task StreamAsync_EarlyBreakWhileHandlerWaitsForRoom_EndsTheHandlerWithItsTokenCancelled()
    {
        var (module, _, client) = Start(o => o.StreamBufferCapacity = 2);

        var read = 0;
        await foreach (var item in client.StreamAsync(new Endless("b")))
        {
            if (++read == 5)
            {
                break;
            }
        }

        Assert.True(await Guard(module.Finished.Task));
        Assert.Equal(new[] { "endless:b", "endless:end" }, await Guard(client.RequestAsync(new ReadLog())));
    }

    [Fact]
    public async Task StreamAsync_EarlyBreakWhileHandlerAwaits_EndsTheHandlerAtOnce()
    {
        var (module, _, client) = Start();

        await foreach (var item in client.StreamAsync(new StallAfter(2)))
        {
            if (item == 1)
            {
                break;
            }
        }

        Assert.True(await Guard(module.Finished.Task));
        var log = await Guard(client.RequestAsync(new ReadLog()));
        Assert.Equal(new[] { "stall:start", "stall:end" }, log);
    }

    [Fact]
    public async Task StreamAsync_CallerCancelsWhileWaiting_ThrowsItsCancellationAndEndsTheHandler()
    {
        var (module, _, client) = Start();
        using var cts = new CancellationTokenSource();
        var reader = client.StreamAsync(new StallAfter(2), cts.Token).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));
        Assert.True(await Guard(reader.MoveNextAsync()));

        var waiting = reader.MoveNextAsync().AsTask();
        cts.Cancel();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(HangGuard));
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.True(await Guard(module.Finished.Task));
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task StreamAsync_WithCancellationToken_CancelsLikeTheCallToken()
    {
        var (module, _, client) = Start();
        using var cts = new CancellationTokenSource();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in client.StreamAsync(new StallAfter(1)).WithCancellation(cts.Token))
            {
                cts.Cancel();
            }
        }).WaitAsync(HangGuard);

        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.True(await Guard(module.Finished.Task));
    }

    [Fact]
    public async Task StreamAsync_AlreadyCancelled_ThrowsWithoutRunningTheHandler()
    {
        var (module, _, client) = Start();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadAllAsync(client.StreamAsync(new CountTo(3), cts.Token)));

        Assert.Empty(await Guard(client.RequestAsync(new ReadLog())));
    }

    [Theory]
    [InlineData("dispose")]
    [InlineData("cancel")]
    [InlineData("stop")]
    public async Task StreamAsync_EndedWhileTheEnderIsPaused_HandlerFinallySeesItsTokenCancelled(string how)
    {
        // The party ending the stream is held inside the end (as a loaded scheduler may pause it) while the module
        // runs on: the handler's finally must still find its token cancelled, however the end came.
        var time = new TimerDisposalHeld();
        var (module, server, client) = Start(o =>
        {
            o.TimeProvider = time;
            o.StreamBufferCapacity = 2;
        });
        time.HoldUntil = module.Finished.Task;
        using var cts = new CancellationTokenSource();
        var reader = client.StreamAsync(new Endless("h"), cts.Token).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));
        // Item 0 taken, 1 and 2 buffered, 3 yielded: the handler waits for room.
        await Eventually.WaitUntilAsync(() => module.Yielded == 4);

        switch (how)
        {
            case "dispose":
                await reader.DisposeAsync();
                break;
            case "cancel":
                cts.Cancel();
                break;
            default:
                _ = server.ShutdownAsync();
                break;
        }

        Assert.True(await Guard(module.Finished.Task));
        await reader.DisposeAsync();
    }

    // 3. Failures.

    [Fact]
    public async Task StreamAsync_HandlerThrows_ReaderGetsTheItemsThenTheSameException()
    {
        var (module, _, client) = Start();
        var items = new List<int>();

        var error = await Assert.ThrowsAsync<CustomModuleException>(async () =>
        {
            await foreach (var item in client.StreamAsync(new FailAfter(3)))
            {
                items.Add(item);
            }
        }).WaitAsync(HangGuard);

        Assert.Equal(new[] { 0, 1, 2 }, items);
        Assert.Equal("stream failed after 3", error.Message);
        Assert.Equal(new[] { 0, 1 }, await Guard(ReadAllAsync(client.StreamAsync(new CountTo(2)))));
    }

    [Fact]
    public async Task StreamAsync_FromInsideItsOwnModule_FailsWithReentrancy()
    {
        var (_, _, client) = Start();

        var error = await Assert.ThrowsAsync<ModuleReentrancyException>(() => ReadAllAsync(client.StreamAsync(new StreamSelf()))).WaitAsync(HangGuard);

        Assert.Contains("StreamTestModule -> StreamTestModule", error.Message);
    }

    // 4. Stop.

    [Fact]
    public async Task StreamAsync_GracefulStopWhileStreaming_EndsTheStreamWithModuleStopped()
    {
        var (module, server, client) = Start(o => o.StreamBufferCapacity = 2);
        var reader = client.StreamAsync(new Endless("s")).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));

        var stopped = server.ShutdownAsync();

        await Assert.ThrowsAsync<ModuleStoppedException>(async () =>
        {
            while (await reader.MoveNextAsync())
            {
            }
        }).WaitAsync(HangGuard);
        Assert.True(await Guard(module.Finished.Task));
        await stopped.WaitAsync(HangGuard);
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task StreamAsync_ImmediateStopWhileHandlerIgnoresItsToken_FailsTheWaitingReaderAtOnce()
    {
        var (module, server, client) = Start();
        var reader = client.StreamAsync(new StallAfter(1, IgnoreToken: true)).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));
        var waiting = reader.MoveNextAsync().AsTask();

        var stopped = server.ShutdownAsync(ModuleShutdownMode.Immediate);

        await Assert.ThrowsAsync<ModuleStoppedException>(() => waiting.WaitAsync(HangGuard));
        Assert.False(stopped.IsCompleted);
        module.Release.TrySetResult();
        await stopped.WaitAsync(HangGuard);
        Assert.True(await Guard(module.Finished.Task));
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task StreamAsync_QueuedWhenStopBegins_FailsWithoutRunningTheHandler()
    {
        var (module, server, client) = Start();
        var hold = client.RequestAsync(new Hold()).AsTask();
        await module.HoldEntered.Task.WaitAsync(HangGuard);
        var queued = ReadAllAsync(client.StreamAsync(new CountTo(3)));

        var stopped = server.ShutdownAsync();

        await Assert.ThrowsAsync<ModuleStoppedException>(() => queued.WaitAsync(HangGuard));
        module.Release.TrySetResult();
        Assert.True(await Guard(hold));
        await stopped.WaitAsync(HangGuard);
        Assert.Equal(new[] { "hold", "hold:end" }, module.Log());
    }

    [Fact]
    public async Task StreamAsync_AfterStop_FailsAtFirstRead()
    {
        var (_, server, client) = Start();
        await server.ShutdownAsync().WaitAsync(HangGuard);

        await Assert.ThrowsAsync<ModuleStoppedException>(() => ReadAllAsync(client.StreamAsync(new CountTo(1))));
    }

    // 5. Timeouts, on a fake clock.

    [Fact]
    public async Task StreamAsync_ReaderStopsReading_ItemTimeoutEndsTheStreamAndFreesTheModule()
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(o =>
        {
            o.TimeProvider = time;
            o.RequestTimeout = Timeout.InfiniteTimeSpan;
            o.StreamItemTimeout = TimeSpan.FromSeconds(5);
            o.StreamBufferCapacity = 2;
        });
        var reader = client.StreamAsync(new Endless("t")).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));

        // The only timer is the producer's wait for room in the full buffer.
        await time.WaitForArmedTimersAsync();
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(await Guard(module.Finished.Task));
        Assert.Equal(new[] { "endless:t", "endless:end" }, await Guard(client.RequestAsync(new ReadLog())));
        // The items buffered before the timeout still arrive, then the typed error.
        Assert.True(await Guard(reader.MoveNextAsync()));
        Assert.Equal(1, reader.Current);
        Assert.True(await Guard(reader.MoveNextAsync()));
        Assert.Equal(2, reader.Current);
        var error = await Assert.ThrowsAsync<ModuleStreamTimeoutException>(() => reader.MoveNextAsync().AsTask().WaitAsync(HangGuard));
        Assert.True(error.ReaderStalled);
        Assert.Equal(typeof(Endless), error.RequestType);
        Assert.Equal(TimeSpan.FromSeconds(5), error.Timeout);
        await reader.DisposeAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public async Task StreamAsync_ReaderKeepsReading_NoItemTimeout(int buffer)
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(o =>
        {
            o.TimeProvider = time;
            o.StreamItemTimeout = TimeSpan.FromSeconds(5);
            o.StreamBufferCapacity = buffer;
        });

        var read = 0;
        await foreach (var item in client.StreamAsync(new Endless("k")))
        {
            // Each step is shorter than the timeout; together they are far longer. With a larger buffer the module
            // waits until half of it is free, over several steps: the items taken meanwhile are progress.
            time.Advance(TimeSpan.FromSeconds(4));
            if (++read == 20)
            {
                break;
            }
        }

        Assert.Equal(20, read);
        Assert.True(await Guard(module.Finished.Task));
    }

    [Fact]
    public async Task StreamAsync_ModuleStopsProducing_ItemTimeoutFailsTheReader()
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(o =>
        {
            o.TimeProvider = time;
            o.RequestTimeout = Timeout.InfiniteTimeSpan;
            o.StreamItemTimeout = TimeSpan.FromSeconds(5);
        });
        var reader = client.StreamAsync(new StallAfter(1)).GetAsyncEnumerator();
        Assert.True(await Guard(reader.MoveNextAsync()));
        var waiting = reader.MoveNextAsync().AsTask();

        await time.WaitForArmedTimersAsync();
        time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<ModuleStreamTimeoutException>(() => waiting.WaitAsync(HangGuard));
        Assert.False(error.ReaderStalled);
        Assert.True(await Guard(module.Finished.Task));
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task StreamAsync_ModuleBusyPastTheRequestTimeout_FailsWithRequestTimeoutAndIsSkipped()
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(o =>
        {
            o.TimeProvider = time;
            o.RequestTimeout = TimeSpan.FromSeconds(5);
        });
        var hold = client.RequestAsync(new Hold()).AsTask();
        await module.HoldEntered.Task.WaitAsync(HangGuard);
        // The hold request's own timer is armed too.
        await time.WaitForArmedTimersAsync();
        var queued = ReadAllAsync(client.StreamAsync(new CountTo(3)));
        await time.WaitForArmedTimersAsync(2);

        time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => queued.WaitAsync(HangGuard));
        Assert.Equal(typeof(CountTo), error.RequestType);
        await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => hold.WaitAsync(HangGuard));
        module.Release.TrySetResult();
        Assert.Equal(new[] { "hold", "hold:end" }, await Guard(client.RequestAsync(new ReadLog())));
    }

    /// <summary>
    /// The system clock, except that disposing a timer waits for <see cref="HoldUntil"/> (bounded by the hang guard):
    /// it pauses whoever ends a stream at a fixed point inside the end, where a busy machine may pause it too.
    /// </summary>
    private sealed class TimerDisposalHeld : TimeProvider
    {
        public Task HoldUntil { get; set; } = Task.CompletedTask;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new HeldTimer(System.CreateTimer(callback, state, dueTime, period), this);

        private sealed class HeldTimer(ITimer inner, TimerDisposalHeld owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                owner.HoldUntil.Wait(HangGuard);
                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return default;
            }
        }
    }
}
