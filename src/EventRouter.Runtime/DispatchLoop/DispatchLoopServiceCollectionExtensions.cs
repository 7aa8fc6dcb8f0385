using System;
using System.Linq;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="EventDispatchLoop"/>.</summary>
public static class DispatchLoopServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="EventDispatchLoop"/> singleton over the <see cref="EventDispatcherBase"/> registered by
    /// <c>services.AddEventRouter()</c>, and runs it as a hosted service (started and drained with the host).
    /// Its settings are the <see cref="DispatchLoopOptions"/> of the options pipeline: <paramref name="configure"/>,
    /// every <c>services.Configure&lt;DispatchLoopOptions&gt;(…)</c> and any configuration bound to them, validated
    /// when the host starts. An <see cref="IIdempotencyStore"/>, <see cref="IDeadLetterSink"/>, <see cref="IDispatchLoopJournal"/> or
    /// <see cref="TimeProvider"/> registered in DI is used unless the options set one.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the loop's options.</param>
    /// <returns>The service collection, for chaining.</returns>
#pragma warning disable RS0027 // The configuration overload's second parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddEventDispatchLoop(this IServiceCollection services, Action<DispatchLoopOptions>? configure = null)
#pragma warning restore RS0027
    {
        ArgumentNullException.ThrowIfNull(services);
        ValidatedOptions.Add<DispatchLoopOptions, DispatchLoopOptionsValidator>(services, Microsoft.Extensions.Options.Options.DefaultName, configure);

        services.TryAddSingleton(static provider =>
        {
            var dispatcher = RequiredDispatcher.Get(provider, "AddEventDispatchLoop()");
            var resolved = provider.GetRequiredService<IOptions<DispatchLoopOptions>>().Value.Clone();
            resolved.IdempotencyStore ??= provider.GetService<IIdempotencyStore>();
            resolved.DeadLetterSink ??= provider.GetService<IDeadLetterSink>();
            resolved.TimeProvider ??= provider.GetService<TimeProvider>();
            resolved.Journal ??= provider.GetService<IDispatchLoopJournal>();
            return new EventDispatchLoop(dispatcher, resolved);
        });
        services.AddHostedService(static provider => provider.GetRequiredService<EventDispatchLoop>());
        return services;
    }

    /// <summary>
    /// Registers the <see cref="EventDispatchLoop"/> as <see cref="AddEventDispatchLoop(IServiceCollection, Action{DispatchLoopOptions}?)"/>
    /// does, with its options bound from <paramref name="configuration"/> (for example
    /// <c>builder.Configuration.GetSection("EventRouter:DispatchLoop")</c>). What configuration cannot hold (stores,
    /// sinks, callbacks) is set in code with <c>services.Configure&lt;DispatchLoopOptions&gt;(…)</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the loop's settings (<c>Capacity</c>, <c>MaxParallelism</c>, <c>DrainTimeout</c>, …).</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddEventDispatchLoop(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var retryPolicy = configuration.GetSection(nameof(DispatchLoopOptions.RetryPolicy));
        services.AddOptions<DispatchLoopOptions>()
            .Bind(configuration)
            // RetryPolicy is immutable (init-only, so the shared Default and None cannot change): read into a new one.
            .Configure(options => options.RetryPolicy = ReadRetryPolicy(retryPolicy, options.RetryPolicy));
        return services.AddEventDispatchLoop();
    }

    private static RetryPolicy ReadRetryPolicy(IConfiguration section, RetryPolicy current)
    {
        if (!section.GetChildren().Any())
        {
            return current;
        }
        return new RetryPolicy
        {
            MaxAttempts = section.GetValue(nameof(RetryPolicy.MaxAttempts), current.MaxAttempts),
            InitialDelay = section.GetValue(nameof(RetryPolicy.InitialDelay), current.InitialDelay),
            MaxDelay = section.GetValue(nameof(RetryPolicy.MaxDelay), current.MaxDelay),
            BackoffMultiplier = section.GetValue(nameof(RetryPolicy.BackoffMultiplier), current.BackoffMultiplier),
            Jitter = section.GetValue(nameof(RetryPolicy.Jitter), current.Jitter),
        };
    }
}
