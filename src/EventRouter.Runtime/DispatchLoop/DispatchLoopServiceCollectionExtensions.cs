using System;
using EventRouter;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="EventDispatchLoop"/>.</summary>
public static class DispatchLoopServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="EventDispatchLoop"/> singleton over the <see cref="EventDispatcherBase"/> registered by
    /// <c>services.AddEventRouter()</c>, and runs it as a hosted service (started and drained with the host).
    /// An <see cref="IIdempotencyStore"/>, <see cref="IDeadLetterSink"/>, <see cref="IDispatchLoopJournal"/> or
    /// <see cref="TimeProvider"/> registered in DI is used unless the options set one.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the loop's options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddEventDispatchLoop(this IServiceCollection services, Action<DispatchLoopOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new DispatchLoopOptions();
        configure?.Invoke(options);
        options.Validate(); // fail at registration, not at first resolve

        services.TryAddSingleton(provider =>
        {
            var resolved = options.Clone();
            resolved.IdempotencyStore ??= provider.GetService<IIdempotencyStore>();
            resolved.DeadLetterSink ??= provider.GetService<IDeadLetterSink>();
            resolved.TimeProvider ??= provider.GetService<TimeProvider>();
            resolved.Journal ??= provider.GetService<IDispatchLoopJournal>();
            return new EventDispatchLoop(provider.GetRequiredService<EventDispatcherBase>(), resolved);
        });
        services.AddHostedService(static provider => provider.GetRequiredService<EventDispatchLoop>());
        return services;
    }
}
