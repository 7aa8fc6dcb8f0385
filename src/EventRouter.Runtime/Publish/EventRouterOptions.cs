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

    /// <summary>
    /// Where the router logs (no-listener warnings, failures in the background). Default: the DI logger factory; with
    /// neither, warnings and errors go to standard error, each distinct message once.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal void Validate()
    {
        if (!Enum.IsDefined(PublishMode))
        {
            throw new ArgumentOutOfRangeException(nameof(PublishMode), PublishMode, "Unknown PublishMode.");
        }
        if (!Enum.IsDefined(NoListenerPolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(NoListenerPolicy), NoListenerPolicy, "Unknown NoListenerPolicy.");
        }
    }
}
