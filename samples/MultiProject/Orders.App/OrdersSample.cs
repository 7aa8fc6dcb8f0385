using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.Generated;
using Orders.Listeners;

namespace Orders.App;

/// <summary>Publishes from the application; listeners of the library and of the application run.</summary>
public static class OrdersSample
{
    /// <summary>Runs the sample, printing to <paramref name="output"/>. Returns the process exit code.</summary>
    public static async Task<int> RunAsync(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        OrdersOutput.Use(output);

        // Generated into THIS project; its table includes the public listeners of Orders.Listeners.
        var dispatcher = new EventDispatcher();

        output.WriteLine("== The dispatch table of Orders.App ==");
        foreach (var route in dispatcher.Routes)
        {
            output.WriteLine($"{route.EventName} -> {string.Join(", ", route.Listeners.Select(l => l.Name))}");
        }

        output.WriteLine();
        output.WriteLine("publish OrderPlaced (declared in the library):");
        await dispatcher.PublishAsync(new OrderPlaced(1001, "ada@example.com", 250m)).ConfigureAwait(false);

        output.WriteLine("publish OrderShipped (declared in the library):");
        await dispatcher.PublishAsync(new OrderShipped(1001, "DHL")).ConfigureAwait(false);

        output.WriteLine("publish OrderReturned (declared in the app, heard by the library's interface listener):");
        await dispatcher.PublishAsync(new OrderReturned(1001, "wrong size")).ConfigureAwait(false);

        output.WriteLine();
        output.WriteLine("done");
        return 0;
    }
}
