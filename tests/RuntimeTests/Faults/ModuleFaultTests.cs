using System;
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
}
