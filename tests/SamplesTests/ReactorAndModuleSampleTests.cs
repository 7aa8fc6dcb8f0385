using System.Linq;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.Samples.Tests;

public sealed class ModuleSampleTests
{
    [Fact]
    public async Task ModuleSample_PortsSparkChannelExample()
    {
        var (exitCode, lines) = await SampleRun.RunAsync(ModuleSample.ModuleServerSample.RunAsync);

        Assert.Equal(0, exitCode);
        Assert.Equal(
            new[]
            {
                "== spark-channel example ==",
                "[DataModule] UpdateData { Key = user123, Value = 1 }",
                "[DataModule] UpdateData { Key = user123, Value = 2 }",
                "[DataModule] UpdateData { Key = user123, Value = 3 }",
                "[DataModule] GetData { Key = user123 }",
                "Update succeeded: True",
                "Received data: [1, 2, 3]",
                "[DataModule] LogEvent { Text = User logged in }", // the filter, on the module's server, before the handler
                "Event logged: User logged in",
                "After shutdown: ModuleStoppedException",
                "done",
            },
            lines);
    }
}

public sealed class EventLoopSampleTests
{
    [Fact]
    public async Task EventLoopSample_DeliversMessagesAndTimerEventsOnTheLoopThread()
    {
        var (exitCode, lines) = await SampleRun.RunAsync(EventLoopSample.EventLoopDemo.RunAsync);

        Assert.Equal(0, exitCode);
        Assert.Equal("Message event: Hello, World! (thread seed-004)", lines[0]);
        Assert.Contains("Message event: posted from another thread (thread seed-004)", lines);
        Assert.Equal(3, lines.Count(l => l.StartsWith("Timer event: 'tick' fired", System.StringComparison.Ordinal)));
        Assert.All(lines, l => Assert.EndsWith("(thread seed-004)", l));
    }
}
