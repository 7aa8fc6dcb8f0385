using System.Linq;
using System.Threading.Tasks;
using Orders.App;

namespace EventRouter.Samples.Tests;

public sealed class MultiProjectTests
{
    [Fact]
    public async Task RunAsync_Completes_WithExitCodeZero()
    {
        var (exitCode, lines) = await SampleRun.RunAsync(OrdersSample.RunAsync);

        Assert.Equal(0, exitCode);
        Assert.Equal("done", lines[^1]);
    }

    [Fact]
    public async Task RunAsync_AppTable_ContainsLibraryAndAppListeners()
    {
        var (_, lines) = await SampleRun.RunAsync(OrdersSample.RunAsync);

        Assert.Equal(
            new[]
            {
                "orders.returned -> Orders.Listeners.OrderAuditTrail",
                "orders.placed -> Orders.App.ConfirmationEmailSender, Orders.Listeners.InventoryReserver, Orders.Listeners.OrderAuditTrail",
                "orders.shipped -> Orders.Listeners.OrderAuditTrail, Orders.Listeners.ShipmentTracker",
            },
            SampleRun.Section(lines, "== The dispatch table of Orders.App =="));
    }

    [Fact]
    public async Task RunAsync_PublishFromApp_RunsLibraryAndAppListeners()
    {
        var (_, lines) = await SampleRun.RunAsync(OrdersSample.RunAsync);

        Assert.Equal(
            new[]
            {
                "  [Orders.App] confirmation email to ada@example.com for order #1001",
                "  [Orders.Listeners] inventory reserved for order #1001",
                "  [Orders.Listeners] audit: OrderPlaced for order #1001",
            },
            SampleRun.Section(lines, "publish OrderPlaced (declared in the library):").TakeWhile(l => l.StartsWith(' ')));
    }

    [Fact]
    public async Task RunAsync_AsyncLibraryListener_IsAwaited()
    {
        var (_, lines) = await SampleRun.RunAsync(OrdersSample.RunAsync);

        Assert.Equal(
            new[]
            {
                "  [Orders.Listeners] audit: OrderShipped for order #1001",
                "  [Orders.Listeners] tracking started for order #1001 with DHL",
            },
            SampleRun.Section(lines, "publish OrderShipped (declared in the library):").TakeWhile(l => l.StartsWith(' ')));
    }

    [Fact]
    public async Task RunAsync_AppEvent_ReachesLibraryInterfaceListener()
    {
        var (_, lines) = await SampleRun.RunAsync(OrdersSample.RunAsync);

        Assert.Equal(
            new[] { "  [Orders.Listeners] audit: OrderReturned for order #1001" },
            SampleRun.Section(lines, "publish OrderReturned (declared in the app, heard by the library's interface listener):").TakeWhile(l => l.StartsWith(' ')));
    }
}
