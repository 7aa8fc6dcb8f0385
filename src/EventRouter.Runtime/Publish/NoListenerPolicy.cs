using System;

namespace EventRouter;

/// <summary>What the router does with an event that no listener handles.</summary>
public enum NoListenerPolicy
{
    /// <summary>Nothing.</summary>
    Ignore = 0,

    /// <summary>
    /// Logs a warning through <see cref="EventRouterOptions.LoggerFactory"/> (or the DI logger factory); with neither,
    /// writes it to standard error, once per event.
    /// </summary>
    Log = 1,

    /// <summary>Throws <see cref="NoListenerException"/>.</summary>
    Throw = 2,
}
