using System;
using Microsoft.Extensions.Logging;

namespace EventRouter;

/// <summary>Run-time settings of the generated dispatcher.</summary>
public sealed class EventRouterOptions
{
    /// <summary>Whether listeners run one after another (default) or all at once.</summary>
    public PublishMode PublishMode { get; set; } = PublishMode.Sequential;

    /// <summary>What happens when an event has no listener. Default: <see cref="NoListenerPolicy.Log"/>.</summary>
    public NoListenerPolicy NoListenerPolicy { get; set; } = NoListenerPolicy.Log;

    /// <summary>
    /// Creates listener instances when no <see cref="IServiceProvider"/> is used, for listeners without a
    /// parameterless constructor. Receives the listener type and must return an instance of it.
    /// </summary>
    public Func<Type, object>? ListenerFactory { get; set; }

    /// <summary>Where the router logs (no-listener warnings, failures in the background). Optional.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

/// <summary>How the listeners of one event run during a publish.</summary>
public enum PublishMode
{
    /// <summary>One after another, in the table's stable order; the cancellation token is checked between them.</summary>
    Sequential = 0,

    /// <summary>All started at once; the publish completes when all have completed.</summary>
    Concurrent = 1,
}

/// <summary>What the router does with an event that no listener handles.</summary>
public enum NoListenerPolicy
{
    /// <summary>Nothing.</summary>
    Ignore = 0,

    /// <summary>Logs a warning through <see cref="EventRouterOptions.LoggerFactory"/> (or the DI logger factory).</summary>
    Log = 1,

    /// <summary>Throws <see cref="NoListenerException"/>.</summary>
    Throw = 2,
}
