using System.Threading.Tasks;
using QuickStart;

namespace EventRouter.Samples.Tests;

public sealed class QuickStartTests
{
    [Fact]
    public async Task RunAsync_Completes_WithExitCodeZero()
    {
        var (exitCode, lines) = await SampleRun.RunAsync(QuickStartSample.RunAsync);

        Assert.Equal(0, exitCode);
        Assert.Equal("done", lines[^1]);
    }

    [Fact]
    public async Task RunAsync_FirstEvent_PrintsTheListenersLine()
    {
        var (_, lines) = await SampleRun.RunAsync(QuickStartSample.RunAsync);

        Assert.Equal(new[] { "Handling TestEvent with data `Hello`" }, SampleRun.Section(lines, "== 1. One event, one listener =="));
    }

    [Fact]
    public async Task RunAsync_InterfaceListener_ReceivesEveryConcreteOrderEvent()
    {
        var (_, lines) = await SampleRun.RunAsync(QuickStartSample.RunAsync);

        Assert.Equal(
            new[]
            {
                "publish OrderPlaced:",
                "  audit: order #42 OrderPlaced",
                "  refunds: holding 99.50 for order #42",
                "publish OrderShipped:",
                "  audit: order #42 OrderShipped",
                "  shipping: order #42 is on its way with DHL",
                "publish OrderCancelled:",
                "  audit: order #43 OrderCancelled",
                "  refunds: refunding order #43 (changed my mind)",
            },
            SampleRun.Section(lines, "== 2. Polymorphic listeners =="));
    }

    [Fact]
    public async Task RunAsync_FailingListener_OthersRunAndTheFailureIsReportedByName()
    {
        var (_, lines) = await SampleRun.RunAsync(QuickStartSample.RunAsync);

        Assert.Equal(
            new[]
            {
                "  receipt: emailed receipt for pay-7",
                "  ledger: writing pay-7...",
                "  loyalty: 120 points for pay-7", // runs after the failing listener
                "publish of 'payments.captured' reported 1 failed listener(s):",
                "  failed: QuickStart.FaultIsolation.LedgerWriter: InvalidOperationException: the ledger database is offline",
            },
            SampleRun.Section(lines, "== 3. One listener fails, the others still run =="));
    }

    [Fact]
    public async Task RunAsync_UnheardEventWithThrowPolicy_ReportsNoListener()
    {
        var (_, lines) = await SampleRun.RunAsync(QuickStartSample.RunAsync);

        Assert.Equal(new[] { "NoListenerPolicy.Throw: System.Uri has no listener" }, SampleRun.Section(lines, "== 4. Nobody listens =="));
    }

    [Fact]
    public async Task RunAsync_ScopedListeners_ShareOneScopePerPublishDisposedAfterIt()
    {
        var (_, lines) = await SampleRun.RunAsync(QuickStartSample.RunAsync);

        Assert.Equal(
            new[]
            {
                "publish UserRegistered(ada@example.com):",
                "  welcome email to ada@example.com in unit of work #1",
                "  welcome gift to ada@example.com in unit of work #1",
                "  unit of work #1 disposed with the publish's scope",
                "publish UserRegistered(linus@example.com):",
                "  welcome email to linus@example.com in unit of work #2",
                "  welcome gift to linus@example.com in unit of work #2",
                "  unit of work #2 disposed with the publish's scope",
            },
            SampleRun.Section(lines, "== 5. Dependency injection, scoped listeners =="));
    }

    [Fact]
    public async Task RunAsync_RunTwice_PrintsTheSameOutput()
    {
        var (_, first) = await SampleRun.RunAsync(QuickStartSample.RunAsync);
        var (_, second) = await SampleRun.RunAsync(QuickStartSample.RunAsync);

        Assert.Equal(first, second);
    }
}
