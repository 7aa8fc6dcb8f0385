using System;
using System.IO;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Generated;
using Microsoft.Extensions.DependencyInjection;
using QuickStart.DependencyInjection;
using QuickStart.FaultIsolation;
using QuickStart.FirstEvent;
using QuickStart.Polymorphism;

namespace QuickStart;

/// <summary>The quick-start tour: one event and its listener, polymorphic listeners, fault isolation and DI.</summary>
public static class QuickStartSample
{
    /// <summary>Runs every part, printing to <paramref name="output"/>. Returns the process exit code.</summary>
    public static async Task<int> RunAsync(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        SampleOutput.Use(output);

        // EventDispatcher is generated into this project from its [EventListener] classes.
        var dispatcher = new EventDispatcher();

        output.WriteLine("== 1. One event, one listener ==");
        await dispatcher.PublishAsync(new TestEvent("Hello")).ConfigureAwait(false);

        output.WriteLine();
        output.WriteLine("== 2. Polymorphic listeners ==");
        IOrderEvent[] orders =
        {
            new OrderPlaced(42, 99.50m),
            new OrderShipped(42, "DHL"),
            new OrderCancelled(43, "changed my mind"),
        };
        foreach (var order in orders)
        {
            output.WriteLine($"publish {order.GetType().Name}:");
            // Typed as the interface here: the generic entry routes on the runtime type without reflection.
            await dispatcher.PublishAsync(order).ConfigureAwait(false);
        }

        output.WriteLine();
        output.WriteLine("== 3. One listener fails, the others still run ==");
        try
        {
            await dispatcher.PublishAsync(new PaymentCaptured("pay-7", 120m)).ConfigureAwait(false);
        }
        catch (EventPublishException error)
        {
            output.WriteLine($"publish of '{error.EventName}' reported {error.Failures.Count} failed listener(s):");
            foreach (var failure in error.Failures)
            {
                output.WriteLine($"  failed: {failure.Listener.Name}: {failure.Exception.GetType().Name}: {failure.Exception.Message}");
            }
        }

        output.WriteLine();
        output.WriteLine("== 4. Nobody listens ==");
        var strict = new EventDispatcher(new EventRouterOptions { NoListenerPolicy = NoListenerPolicy.Throw });
        try
        {
            // An event that arrived from outside (say, deserialized) and that no listener handles.
            await strict.PublishAsync((object)new Uri("https://example.com/unheard")).ConfigureAwait(false);
        }
        catch (NoListenerException error)
        {
            output.WriteLine($"NoListenerPolicy.Throw: {error.EventName} has no listener");
        }

        output.WriteLine();
        output.WriteLine("== 5. Dependency injection, scoped listeners ==");
        var services = new ServiceCollection()
            .AddSingleton<UnitOfWorkCounter>()
            .AddScoped<UnitOfWork>()
            .AddEventRouter(options => options.NoListenerPolicy = NoListenerPolicy.Throw); // generated: every listener + the dispatcher
        await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }))
        {
            var publisher = provider.GetRequiredService<IEventPublisher>();
            foreach (var email in new[] { "ada@example.com", "linus@example.com" })
            {
                output.WriteLine($"publish UserRegistered({email}):");
                await publisher.PublishAsync(new UserRegistered(email)).ConfigureAwait(false);
            }
        }

        output.WriteLine();
        output.WriteLine("done");
        return 0;
    }
}
