using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Testing;
using EventRouter.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.Modules;

// Measures allocations (RequestAsync_IdleModule_RunsInlineSynchronouslyWithoutAllocating): a listener attached by a
// parallel test would put the instrumented path under it.
[Collection(TelemetrySensitive.Name)]
public sealed class ModuleServerTests : IAsyncLifetime
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

    private (TestModule Module, ModuleServer<TestModule> Server, TestModuleClient Client) Start(bool inline = true, Action<ModuleServerOptions>? configure = null)
    {
        var module = new TestModule();
        var options = new ModuleServerOptions { RunInlineWhenIdle = inline };
        configure?.Invoke(options);
        var server = new ModuleServer<TestModule>(module, options);
        _servers.Add(server);
        server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return (module, server, new TestModuleClient(server));
    }

    private static async Task<T> Guard<T>(ValueTask<T> task) => await task.AsTask().WaitAsync(HangGuard);

    // 1. Typed client and message switch.

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestAsync_HandledRequest_ReturnsTypedResponse(bool inline)
    {
        var (_, _, client) = Start(inline);

        var reply = await Guard(client.RequestAsync(new Echo(42)));
        var sum = await Guard(client.RequestAsync(new Add(2, 3)));

        Assert.Equal(new EchoReply(42), reply);
        Assert.Equal(5, sum);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendAsync_Commands_AreHandledInSendOrderBeforeLaterRequests(bool inline)
    {
        var (module, _, client) = Start(inline);

        for (var i = 0; i < 50; i++)
        {
            await client.SendAsync(new Note(i.ToString()));
        }
        var log = await Guard(client.RequestAsync(new GetLog()));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => "note:" + i), log);
        Assert.Equal(1, module.MaxConcurrency);
    }

    // 2. One message at a time, bounded queue, full modes.

    [Fact]
    public async Task RequestAsync_ConcurrentCallers_EachGetsItsOwnResponseOneAtATime()
    {
        var (module, _, client) = Start(inline: true);
        const int callers = 8;
        const int perCaller = 1500;

        var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var mismatches = 0;
            for (var i = 0; i < perCaller; i++)
            {
                var id = (c * perCaller) + i;
                var reply = await client.RequestAsync(new Echo(id));
                if (reply.Id != id)
                {
                    mismatches++;
                }
            }
            return mismatches;
        })).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(HangGuard);

        Assert.All(results, m => Assert.Equal(0, m));
        Assert.Equal(1, module.MaxConcurrency);
        var log = await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(callers * perCaller, log.Length);
        Assert.Equal(callers * perCaller, log.Distinct().Count());
    }

    [Fact]
    public async Task SendAsync_QueueFullInRejectMode_ThrowsModuleQueueFullException()
    {
        var (module, server, client) = Start(inline: false, o => { o.Capacity = 2; o.FullMode = ModuleFullMode.Reject; });
        var blocked = client.RequestAsync(new Block("b"));
        await module.Entered.Task.WaitAsync(HangGuard);

        await client.SendAsync(new Note("1"));
        await client.SendAsync(new Note("2"));
        var full = client.SendAsync(new Note("3"));
        var fullRequest = client.RequestAsync(new Echo(9));

        Assert.True(full.IsFaulted);
        var ex = await Assert.ThrowsAsync<ModuleQueueFullException>(() => full.AsTask());
        Assert.Equal(2, ex.Capacity);
        Assert.Equal(server.Name, ex.ModuleName);
        await Assert.ThrowsAsync<ModuleQueueFullException>(() => fullRequest.AsTask());

        module.Release.SetResult();
        Assert.Equal("b", await Guard(blocked));
        var log = await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(new[] { "block:b", "note:1", "note:2" }, log);
    }

    [Fact]
    public async Task SendAsync_QueueFullInWaitMode_WaitsForRoomThenIsHandled()
    {
        var (module, _, client) = Start(inline: false, o => { o.Capacity = 1; o.FullMode = ModuleFullMode.Wait; });
        var blocked = client.RequestAsync(new Block("b"));
        await module.Entered.Task.WaitAsync(HangGuard);

        await client.SendAsync(new Note("1"));
        var waiting = client.SendAsync(new Note("2")).AsTask();
        Assert.False(waiting.IsCompleted);

        module.Release.SetResult();
        await waiting.WaitAsync(HangGuard);
        await Guard(blocked);
        var log = await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(new[] { "block:b", "note:1", "note:2" }, log);
    }

    [Fact]
    public async Task SendAsync_QueueFullInWaitMode_CallerCancellationStopsWaiting()
    {
        var (module, _, client) = Start(inline: false, o => { o.Capacity = 1; o.FullMode = ModuleFullMode.Wait; });
        _ = client.RequestAsync(new Block("b"));
        await module.Entered.Task.WaitAsync(HangGuard);
        await client.SendAsync(new Note("1"));
        using var cts = new CancellationTokenSource();

        var waiting = client.SendAsync(new Note("2"), cts.Token).AsTask();
        var waitingRequest = client.RequestAsync(new Echo(3), cts.Token).AsTask();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(HangGuard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waitingRequest.WaitAsync(HangGuard));
        module.Release.SetResult();
        var log = await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(new[] { "block:b", "note:1" }, log);
    }

    [Fact]
    public async Task SendAsync_QueueFullLongerThanTimeout_FailsInsteadOfWaitingForever()
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(inline: false, o =>
        {
            o.Capacity = 1;
            o.FullMode = ModuleFullMode.Wait;
            o.TimeProvider = time;
            o.RequestTimeout = TimeSpan.FromSeconds(5);
        });
        _ = client.RequestAsync(new Block("stuck"));
        await module.Entered.Task.WaitAsync(HangGuard);
        await client.SendAsync(new Note("1"));

        var command = client.SendAsync(new Note("2")).AsTask();
        var request = client.RequestAsync(new Echo(3)).AsTask();
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(command.IsCompleted);
        Assert.False(request.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        var commandTimeout = await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => command.WaitAsync(HangGuard));
        Assert.Equal(typeof(Note), commandTimeout.RequestType);
        await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => request.WaitAsync(HangGuard));
        module.Release.SetResult();
        var log = await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(new[] { "block:stuck", "note:1" }, log);
    }

    // 3. Errors.

    [Theory]
    [InlineData("invalid", typeof(InvalidOperationException), true)]
    [InlineData("argument", typeof(ArgumentException), true)]
    [InlineData("custom", typeof(CustomModuleException), true)]
    [InlineData("async", typeof(NotSupportedException), true)]
    [InlineData("invalid", typeof(InvalidOperationException), false)]
    [InlineData("custom", typeof(CustomModuleException), false)]
    [InlineData("async", typeof(NotSupportedException), false)]
    public async Task RequestAsync_HandlerThrows_CallerGetsOriginalExceptionAndServerKeepsRunning(string kind, Type expected, bool inline)
    {
        var (_, _, client) = Start(inline);

        var ex = await Record.ExceptionAsync(() => client.RequestAsync(new Throw(kind)).AsTask().WaitAsync(HangGuard));

        Assert.NotNull(ex);
        Assert.IsType(expected, ex);
        // The original stack is preserved: it names the method that threw.
        Assert.Contains(kind == "async" ? nameof(TestModule) + ".ThrowLaterAsync" : nameof(TestModule) + ".HandleAsync", ex!.StackTrace);
        Assert.Equal(new EchoReply(1), await Guard(client.RequestAsync(new Echo(1))));
    }

    [Fact]
    public async Task SendAsync_CommandThrows_ReportedThroughLogCallbackAndCounterAndServerKeepsRunning()
    {
        var logger = new LogCapture();
        var failures = new List<ModuleCommandFailure>();
        var (_, server, client) = Start(inline: true, o =>
        {
            o.LoggerFactory = logger;
            o.Name = "failing";
            o.OnCommandFailed = f => { lock (failures) { failures.Add(f); } };
        });

        await client.SendAsync(new FailCommand("sync"));
        await client.SendAsync(new FailCommand("async"));
        await client.SendAsync(new Note("after"));
        var log = await Guard(client.RequestAsync(new GetLog()));

        Assert.Equal(new[] { "fail:sync", "fail:async", "note:after" }, log);
        Assert.Equal(2, server.FailedCommandCount);
        Assert.Collection(failures,
            f => { Assert.Equal("failing", f.ModuleName); Assert.Equal(typeof(FailCommand), f.CommandType); Assert.IsType<InvalidOperationException>(f.Exception); },
            f => Assert.IsType<FormatException>(f.Exception));
        var errors = logger.Entries.Where(e => e.Id.Id == 3000).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal(LogLevel.Error, e.Level));
        Assert.Contains("failing", errors[0].Message);
    }

    [Fact]
    public async Task SendAsync_CommandThrows_RecordedOnEventRouterMeter()
    {
        var (_, _, client) = Start(inline: true, o => o.Name = "metered-" + Guid.NewGuid().ToString("N"));
        var name = ((ModuleClient<TestModule>)client).Server!.Name;
        long recorded = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "EventRouter" && instrument.Name == "eventrouter.module.command.failures")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "eventrouter.module" && (string?)tag.Value == name)
                {
                    Interlocked.Add(ref recorded, value);
                }
            }
        });
        listener.Start();

        await client.SendAsync(new FailCommand("sync"));
        await Guard(client.RequestAsync(new GetLog()));

        Assert.Equal(1, Interlocked.Read(ref recorded));
    }

    // 4. Timeouts and cancellation.

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestAsync_NoResponseWithinTimeout_ThrowsModuleRequestTimeoutException(bool inline)
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(inline, o => { o.TimeProvider = time; o.RequestTimeout = TimeSpan.FromSeconds(5); });

        var blocked = client.RequestAsync(new Block("slow")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(blocked.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        var ex = await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => blocked.WaitAsync(HangGuard));
        Assert.Equal(typeof(Block), ex.RequestType);
        Assert.Equal(TimeSpan.FromSeconds(5), ex.Timeout);
        module.Release.SetResult();
        Assert.Equal(new EchoReply(2), await Guard(client.RequestAsync(new Echo(2))));
    }

    [Fact]
    public async Task RequestAsync_TimeoutTurnedOff_WaitsUntilAnswered()
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(false, o => { o.TimeProvider = time; o.RequestTimeout = Timeout.InfiniteTimeSpan; });

        var blocked = client.RequestAsync(new Block("slow")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        time.Advance(TimeSpan.FromDays(1));
        Assert.False(blocked.IsCompleted);

        module.Release.SetResult();
        Assert.Equal("slow", await blocked.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task RequestAsync_TimedOutWhileQueued_IsSkipped()
    {
        var time = new ManualTimeProvider();
        var (module, _, client) = Start(false, o => { o.TimeProvider = time; o.RequestTimeout = TimeSpan.FromSeconds(5); });
        var blocked = client.RequestAsync(new Block("first")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        time.Advance(TimeSpan.FromSeconds(3));
        var queued = client.RequestAsync(new Echo(7)).AsTask();

        time.Advance(TimeSpan.FromSeconds(3));

        await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => blocked.WaitAsync(HangGuard));
        Assert.False(queued.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => queued.WaitAsync(HangGuard));
        module.Release.SetResult();
        var log = await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(new[] { "block:first" }, log);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestAsync_CallerCancelsWhileHandled_StopsWaiting(bool inline)
    {
        var (module, _, client) = Start(inline);
        using var cts = new CancellationTokenSource();
        var blocked = client.RequestAsync(new Block("b"), cts.Token).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);

        cts.Cancel();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(HangGuard));
        Assert.Equal(cts.Token, ex.CancellationToken);
        module.Release.SetResult();
        Assert.Equal(new EchoReply(4), await Guard(client.RequestAsync(new Echo(4))));
    }

    [Fact]
    public async Task RequestAsync_CancelledBeforeHandled_IsSkipped()
    {
        var (module, _, client) = Start(inline: true);
        var blocked = client.RequestAsync(new Block("b")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        using var cts = new CancellationTokenSource();
        var queued = client.RequestAsync(new Echo(5), cts.Token).AsTask();

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.WaitAsync(HangGuard));
        module.Release.SetResult();
        await blocked.WaitAsync(HangGuard);

        var log = await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(new[] { "block:b" }, log);
    }

    [Fact]
    public async Task RequestAsync_AlreadyCancelledToken_FailsWithoutRunning()
    {
        var (_, _, client) = Start();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var request = client.RequestAsync(new Echo(1), cts.Token);

        Assert.True(request.IsCanceled);
        Assert.Empty(await Guard(client.RequestAsync(new GetLog())));
    }

    // 5. Shutdown.

    [Fact]
    public async Task ShutdownAsync_Graceful_HandlesEverythingQueuedThenStops()
    {
        var (module, server, client) = Start(inline: false);
        var blocked = client.RequestAsync(new Block("b")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        await client.SendAsync(new Note("1"));
        var echoes = Enumerable.Range(0, 5).Select(i => client.RequestAsync(new Echo(i)).AsTask()).ToArray();

        var stopping = server.ShutdownAsync(ModuleShutdownMode.Graceful);
        var lateSend = client.SendAsync(new Note("late"));
        var lateRequest = client.RequestAsync(new Echo(99));
        Assert.False(stopping.IsCompleted);
        module.Release.SetResult();
        await stopping.WaitAsync(HangGuard);

        Assert.True(lateSend.IsFaulted);
        Assert.True(lateRequest.IsFaulted);
        await Assert.ThrowsAsync<ModuleStoppedException>(() => lateSend.AsTask());
        await Assert.ThrowsAsync<ModuleStoppedException>(() => lateRequest.AsTask());
        Assert.Equal("b", await blocked);
        for (var i = 0; i < echoes.Length; i++)
        {
            Assert.Equal(new EchoReply(i), await echoes[i]);
        }
        Assert.Equal(new[] { "block:b", "note:1", "echo:0", "echo:1", "echo:2", "echo:3", "echo:4" }, module.Snapshot());
    }

    [Fact]
    public async Task ShutdownAsync_Immediate_CancelsRunningHandlerAndFailsQueuedRequests()
    {
        var logger = new LogCapture();
        var (module, server, client) = Start(inline: false, o => o.LoggerFactory = logger);
        var running = client.RequestAsync(new WaitForStop()).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        var queued = Enumerable.Range(0, 5).Select(i => client.RequestAsync(new Echo(i)).AsTask()).ToArray();
        await client.SendAsync(new Note("dropped"));

        await server.ShutdownAsync(ModuleShutdownMode.Immediate).WaitAsync(HangGuard);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.True(module.StopTokenObserved);
        foreach (var request in queued)
        {
            await Assert.ThrowsAsync<ModuleStoppedException>(() => request);
        }
        Assert.Equal(1, server.DroppedCommandCount);
        Assert.Contains(logger.Entries, e => e.Id.Id == 3001);
        Assert.Equal(new[] { "wait" }, module.Snapshot());
        await Assert.ThrowsAsync<ModuleStoppedException>(() => client.SendAsync(new Note("late")).AsTask());
    }

    [Fact]
    public async Task SendAsync_ValueTypeAndReferenceTypeCommands_RunInSendOrder()
    {
        // Commands of a reference type travel in the queue entry itself, value-type ones in a pooled operation: one
        // queue, one order.
        var (module, _, client) = Start(inline: false);
        var blocked = client.RequestAsync(new Block("b")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        await client.SendAsync(new Tally(1));
        await client.SendAsync(new Note("x"));
        await client.SendAsync(new Tally(2));
        var echo = client.RequestAsync(new Echo(7)).AsTask();
        await client.SendAsync(new Tally(3));

        module.Release.SetResult();
        Assert.Equal("b", await blocked.WaitAsync(HangGuard));
        Assert.Equal(new EchoReply(7), await echo.WaitAsync(HangGuard));
        await Guard(client.RequestAsync(new GetLog()));
        Assert.Equal(new[] { "block:b", "tally:1", "note:x", "tally:2", "echo:7", "tally:3" }, module.Snapshot());
        Assert.Equal(6, module.Tallied);
    }

    [Fact]
    public async Task ShutdownAsync_Immediate_DropsQueuedCommandsOfEitherKind()
    {
        var (module, server, client) = Start(inline: false);
        var running = client.RequestAsync(new WaitForStop()).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        await client.SendAsync(new Tally(1));
        await client.SendAsync(new Note("dropped"));
        await client.SendAsync(new Tally(2));

        await server.ShutdownAsync(ModuleShutdownMode.Immediate).WaitAsync(HangGuard);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(3, server.DroppedCommandCount);
        Assert.Equal(new[] { "wait" }, module.Snapshot());
        Assert.Equal(0, module.Tallied);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SendAsync_QueueWithRoom_AllocatesNothingOnTheSender(bool valueType)
    {
        // The module is held while the sends queue up, so the measured sends never find the queue full (the waiting
        // path allocates). Two warm-up rounds fill the queue: its storage grows to the capacity and the pool of
        // value-type command operations to what a full queue holds; then both are reused. One sender thread
        // throughout, so its thread-static pool slot is not first touched while measuring.
        const int Sends = 1000;
        var (module, _, client) = Start(inline: false, o => o.Capacity = 1024);
        var note = new Note("n");
        var sent = 0L;
        long allocated = -1;
        Exception? failure = null;
        var sender = new Thread(() =>
        {
            try
            {
                for (var round = 0; round < 3; round++)
                {
                    var measured = round == 2;
                    var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    module.ResetEntered();
                    var held = client.RequestAsync(new HoldUntil(hold.Task)).AsTask();
                    Assert.True(module.Entered.Task.Wait(HangGuard));
                    var sync = 0;
                    var bytes = Allocations.OnThisThread(
                        i =>
                        {
                            sent += valueType ? 100 + i : 0;
                            var send = valueType ? client.SendAsync(new Tally(100 + i)) : client.SendAsync(note);
                            sync += send.IsCompletedSuccessfully ? 1 : 0;
                        },
                        iterations: measured ? Sends : 1,
                        warmUps: measured ? 0 : 1023);
                    hold.SetResult();
                    Assert.True(held.Wait(HangGuard));
                    Assert.True(client.RequestAsync(new GetLog()).AsTask().Wait(HangGuard));
                    Assert.Equal(measured ? Sends : 1024, sync);
                    if (measured)
                    {
                        allocated = bytes;
                    }
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        sender.Start();
        Assert.True(sender.Join(HangGuard));
        Assert.Null(failure);
        Assert.Equal(0, allocated);
        Assert.Equal(sent, module.Tallied);
    }

    [Theory]
    [InlineData(ModuleShutdownMode.Graceful)]
    [InlineData(ModuleShutdownMode.Immediate)]
    public async Task ShutdownAsync_QueueFullWithWaitingSenders_EveryRequestCompletesOrFailsTyped(ModuleShutdownMode mode)
    {
        var (module, server, client) = Start(inline: false, o => { o.Capacity = 8; o.FullMode = ModuleFullMode.Wait; });
        var blocked = client.RequestAsync(new Block("b")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        var requests = Enumerable.Range(0, 30).Select(i => client.RequestAsync(new Echo(i)).AsTask()).ToArray();
        var commands = Enumerable.Range(0, 10).Select(i => client.SendAsync(new Note(i.ToString())).AsTask()).ToArray();

        var stopping = server.ShutdownAsync(mode);
        module.Release.SetResult();
        await stopping.WaitAsync(HangGuard);

        var answered = 0;
        var stopped = 0;
        for (var i = 0; i < requests.Length; i++)
        {
            try
            {
                Assert.Equal(new EchoReply(i), await requests[i].WaitAsync(HangGuard));
                answered++;
            }
            catch (ModuleStoppedException)
            {
                stopped++;
            }
        }
        foreach (var command in commands)
        {
            var ex = await Record.ExceptionAsync(() => command.WaitAsync(HangGuard));
            Assert.True(ex is null or ModuleStoppedException, ex?.ToString());
        }
        Assert.Equal(requests.Length, answered + stopped);
        if (mode == ModuleShutdownMode.Graceful)
        {
            // Everything that got into the queue before the stop was handled.
            Assert.Equal(8, answered);
            Assert.Equal("b", await blocked);
        }
        else
        {
            Assert.Equal(0, answered);
        }
    }

    [Theory]
    [InlineData(ModuleShutdownMode.Graceful, true)]
    [InlineData(ModuleShutdownMode.Immediate, true)]
    [InlineData(ModuleShutdownMode.Graceful, false)]
    [InlineData(ModuleShutdownMode.Immediate, false)]
    public async Task ShutdownAsync_WhileCallersAreSending_EveryCallCompletesOrFailsTyped(ModuleShutdownMode mode, bool inline)
    {
        var (module, server, client) = Start(inline, o => o.Capacity = 64);
        var callers = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            var answered = 0;
            for (var i = 0; ; i++)
            {
                var id = (c * 1_000_000) + i;
                try
                {
                    if (i % 4 == 3)
                    {
                        await client.SendAsync(new Note(id.ToString()));
                    }
                    else
                    {
                        var reply = await client.RequestAsync(new Echo(id));
                        Assert.Equal(id, reply.Id);
                        answered++;
                    }
                }
                catch (ModuleStoppedException)
                {
                    return answered;
                }
            }
        })).ToArray();
        // Let the callers get some messages through before stopping.
        await Task.Run(async () =>
        {
            while (module.Snapshot().Length < 200)
            {
                await Task.Yield();
            }
        }).WaitAsync(HangGuard);

        await server.ShutdownAsync(mode).WaitAsync(HangGuard);
        var answeredPerCaller = await Task.WhenAll(callers).WaitAsync(HangGuard);

        // Every caller ended with ModuleStoppedException (none hung, none saw another error or a wrong reply).
        Assert.True(answeredPerCaller.Sum() > 0);
        Assert.Equal(1, module.MaxConcurrency);
        Assert.True(server.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task StopAsync_HostTokenCancelled_EscalatesToImmediate()
    {
        var (module, server, client) = Start(inline: false);
        var running = client.RequestAsync(new WaitForStop()).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        using var cts = new CancellationTokenSource();

        var stopping = server.StopAsync(cts.Token);
        Assert.False(stopping.IsCompleted);
        cts.Cancel();

        await stopping.WaitAsync(HangGuard);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.True(module.StopTokenObserved);
    }

    [Fact]
    public async Task ShutdownAsync_NeverStarted_FailsOrHandlesQueuedMessagesWithoutHanging()
    {
        var module = new TestModule();
        var server = new ModuleServer<TestModule>(module);
        var client = new TestModuleClient(server);
        var early = client.RequestAsync(new Echo(1)).AsTask();

        await server.ShutdownAsync(ModuleShutdownMode.Graceful).WaitAsync(HangGuard);

        Assert.Equal(new EchoReply(1), await early.WaitAsync(HangGuard));
        await Assert.ThrowsAsync<ModuleStoppedException>(() => client.RequestAsync(new Echo(2)).AsTask());
    }

    // 6. Re-entrancy.

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestAsync_ModuleRequestsItself_ThrowsModuleReentrancyException(bool inline)
    {
        var module = new RelayModule();
        var server = new ModuleServer<RelayModule>(module, new ModuleServerOptions { Name = "self", RunInlineWhenIdle = inline });
        _servers.Add(server);
        await server.StartAsync(CancellationToken.None);
        module.Peer = new RelayModuleClient(server);

        var ex = await Assert.ThrowsAsync<ModuleReentrancyException>(() => module.Peer.RequestAsync(new Ping(1)).AsTask().WaitAsync(HangGuard));

        Assert.Equal("self", ex.ModuleName);
        Assert.Equal("self -> self", ex.Path);
        Assert.Equal("pong", await Guard(module.Peer.RequestAsync(new Ping(0))));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestAsync_CycleOfModules_ThrowsModuleReentrancyException(bool inline)
    {
        var (a, aServer) = await StartRelay("a", inline);
        var (b, bServer) = await StartRelay("b", inline);
        var (c, cServer) = await StartRelay("c", inline);
        a.Peer = new RelayModuleClient(bServer);
        b.Peer = new RelayModuleClient(cServer);
        c.Peer = new RelayModuleClient(aServer);
        var client = new RelayModuleClient(aServer);

        var ex = await Assert.ThrowsAsync<ModuleReentrancyException>(() => client.RequestAsync(new Ping(5)).AsTask().WaitAsync(HangGuard));

        Assert.Equal("a -> b -> c -> a", ex.Path);
        // A chain that does not come back is fine: a -> b -> c answers.
        Assert.Equal("pong<<", await Guard(client.RequestAsync(new Ping(2))));
    }

    private async Task<(RelayModule Module, ModuleServer<RelayModule> Server)> StartRelay(string name, bool inline)
    {
        var module = new RelayModule();
        var server = new ModuleServer<RelayModule>(module, new ModuleServerOptions { Name = name, RunInlineWhenIdle = inline });
        _servers.Add(server);
        await server.StartAsync(CancellationToken.None);
        return (module, server);
    }

    // 7. Hosting and DI.

    [Fact]
    public async Task AddModuleServer_Host_StartsServerAndResolvesClientWithDependencies()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IGreeter, Greeter>();
        builder.Services.AddModuleServer<GreeterModule>(o => o.Capacity = 4);
        using var host = builder.Build();

        await host.StartAsync();
        var client = host.Services.GetRequiredService<GreeterModuleClient>();
        var server = host.Services.GetRequiredService<ModuleServer<GreeterModule>>();
        var reply = await Guard(client.RequestAsync(new Greet("module")));
        await host.StopAsync();

        Assert.Equal("hello module", reply);
        Assert.Equal(4, server.Options.Capacity);
        Assert.Same(client, host.Services.GetRequiredService<GreeterModuleClient>());
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => ReferenceEquals(s, server));
        Assert.True(server.Completion.IsCompleted);
        await Assert.ThrowsAsync<ModuleStoppedException>(() => client.RequestAsync(new Greet("late")).AsTask());
    }

    // 8. Pooling and versioning.

    [Fact]
    public async Task RequestAsync_StaleValueTaskAwaitedAgain_ThrowsAndNeverSeesAnotherResult()
    {
        var (_, _, client) = Start(inline: false);
        var first = client.RequestAsync(new Echo(1));
        Assert.Equal(new EchoReply(1), await first.AsTask().WaitAsync(HangGuard) is var r1 ? r1 : null);
        var second = client.RequestAsync(new Echo(2));

        Assert.Throws<InvalidOperationException>(() => first.GetAwaiter().GetResult());
        Assert.Equal(new EchoReply(2), await second);
        Assert.Throws<InvalidOperationException>(() => second.GetAwaiter().GetResult());
    }

    [Fact]
    public async Task RequestAsync_IdleModule_RunsInlineSynchronouslyWithoutAllocating()
    {
        var (module, _, client) = Start(inline: true);
        await WaitUntilInlineReady(client);
        var (allocated, total) = InlineRequests.MeasureInline(i => client.RequestAsync(new Add(i, 1)));

        Assert.Equal(Enumerable.Range(1, 1000).Sum(), total);
        Assert.Equal(0, allocated);
        await Guard(client.RequestAsync(new Echo(1)));
        Assert.Equal(1, module.MaxConcurrency);
    }

    [Fact]
    public async Task RequestAsync_IdleModule_RunsOnCallerThread()
    {
        var (module, _, client) = Start(inline: true);
        await WaitUntilInlineReady(client);

        var reply = client.RequestAsync(new Echo(1));

        Assert.True(reply.IsCompletedSuccessfully);
        Assert.Equal(Environment.CurrentManagedThreadId, module.LastHandlerThread);
    }

    [Fact]
    public async Task RequestAsync_InlineRequestRunning_LaterMessagesQueueInOrder()
    {
        var (module, server, client) = Start(inline: true);
        await WaitUntilInlineReady(client);
        var blocked = client.RequestAsync(new Block("inline")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);

        await client.SendAsync(new Note("1"));
        var echo = client.RequestAsync(new Echo(2));
        await client.SendAsync(new Note("3"));
        var log = client.RequestAsync(new GetLog());
        Assert.False(echo.IsCompleted);
        var stopping = server.ShutdownAsync(ModuleShutdownMode.Graceful);
        Assert.False(stopping.IsCompleted);

        module.Release.SetResult();
        await stopping.WaitAsync(HangGuard);

        Assert.Equal("inline", await blocked);
        Assert.Equal(new EchoReply(2), await echo);
        Assert.Equal(new[] { "block:inline", "note:1", "echo:2", "note:3" }, await log);
        Assert.Equal(1, module.MaxConcurrency);
    }

    private static T CompletedResult<T>(ValueTask<T> completed) => InlineRequests.CompletedResult(completed);

    private static Task WaitUntilInlineReady(TestModuleClient client) => InlineRequests.WaitUntilInlineReadyAsync(() => client.RequestAsync(new Add(0, 0)));
}
