using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Tests.Modules;

namespace EventRouter.Tests.Faults;

/// <summary>Module servers under shutdown races: every caller completes, with its result or a typed error.</summary>
[Collection(TelemetrySensitive.Name)]
public sealed class ModuleFaultTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ImmediateShutdown_RunningHandlerIgnoresToken_QueuedRequestsFailAtOnce()
    {
        var module = new TestModule();
        var server = new ModuleServer<TestModule>(module, new ModuleServerOptions { RunInlineWhenIdle = false, RequestTimeout = Timeout.InfiniteTimeSpan });
        await server.StartAsync(CancellationToken.None);
        var client = new TestModuleClient(server);
        var running = client.RequestAsync(new Block("b")).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        var queued = Enumerable.Range(0, 100).Select(i => client.RequestAsync(new Echo(i)).AsTask()).ToArray();

        var shutdown = server.ShutdownAsync(ModuleShutdownMode.Immediate);

        var stopped = 0;
        foreach (var request in queued)
        {
            var ex = await Record.ExceptionAsync(() => request.WaitAsync(HangGuard));
            Assert.IsType<ModuleStoppedException>(ex);
            stopped++;
        }
        Assert.Equal(100, stopped);
        Assert.False(running.IsCompleted);

        module.Release.TrySetResult();
        var outcome = await Record.ExceptionAsync(() => running.WaitAsync(HangGuard));
        Assert.True(outcome is null or ModuleStoppedException or OperationCanceledException, outcome?.ToString());
        await shutdown.WaitAsync(HangGuard);
        await server.DisposeAsync();
        FaultFigures.Report("module.immediate-shutdown", cases: 1, faults: 1, lost: 0, hung: 100 - stopped, twice: 0);
    }
    [Fact]
    public async Task ManyCallers_RandomCancellationAndShutdownRacing_EveryCallerCompletesWithATypedOutcome()
    {
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        const int Iterations = 40;
        long cases = 0, faults = 0, hung = 0, wrongKind = 0;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var module = new TestModule();
            var server = new ModuleServer<TestModule>(module, new ModuleServerOptions { RunInlineWhenIdle = random.Next(2) == 0 });
            await server.StartAsync(CancellationToken.None);
            var client = new TestModuleClient(server);
            var mode = random.Next(2) == 0 ? ModuleShutdownMode.Graceful : ModuleShutdownMode.Immediate;
            var stopAfter = random.Next(0, 120);
            var calls = new List<Task<Exception?>>();
            var sources = new List<CancellationTokenSource>();
            Task? shutdown = null;
            for (var i = 0; i < 120; i++)
            {
                if (i == stopAfter)
                {
                    shutdown = server.ShutdownAsync(mode);
                }
                var cts = new CancellationTokenSource();
                sources.Add(cts);
                var kind = random.Next(4);
                faults += kind == 0 ? 0 : 1;
                Func<Task> call = kind switch
                {
                    0 => () => client.RequestAsync(new Echo(i), cts.Token).AsTask(),
                    1 => () => client.RequestAsync(new Throw(random.Next(2) == 0 ? "invalid" : "async"), cts.Token).AsTask(),
                    2 => () => client.RequestAsync(new WaitForStop(), cts.Token).AsTask(),
                    _ => () => client.SendAsync(new Note("n" + i), cts.Token).AsTask(),
                };
                calls.Add(Record.ExceptionAsync(call));
                if (random.Next(3) == 0)
                {
                    cts.Cancel(); // at a random point: before, while queued or while running
                }
            }
            shutdown ??= server.ShutdownAsync(mode);
            foreach (var cts in sources)
            {
                cts.Cancel(); // WaitForStop handlers end through their caller's token or the immediate stop
            }
            foreach (var call in calls)
            {
                cases++;
                var finished = await Task.WhenAny(call, Task.Delay(HangGuard));
                if (finished != call)
                {
                    hung++;
                    continue;
                }
                var ex = await call;
                if (ex is not (null or ModuleStoppedException or OperationCanceledException or InvalidOperationException or NotSupportedException))
                {
                    wrongKind++;
                }
            }
            // A graceful stop waits for running WaitForStop handlers, which end only on the stop token: escalate,
            // as a host does when its shutdown timeout fires.
            await server.ShutdownAsync(ModuleShutdownMode.Immediate).WaitAsync(HangGuard);
            await shutdown.WaitAsync(HangGuard);
            await server.DisposeAsync();
            Assert.True(hung == 0 && wrongKind == 0, $"seed {seed}, iteration {iteration}: {hung} callers hung, {wrongKind} ended with an untyped error");
        }
        FaultFigures.Report("module.callers-vs-shutdown", cases, faults, lost: 0, hung, twice: 0);
    }
}
