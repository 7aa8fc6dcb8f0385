using System;

namespace EventRouter;

/// <summary>The lifetime of a listener instance.</summary>
public enum ListenerLifetime
{
    /// <summary>One instance for the whole router, created on first use.</summary>
    Singleton = 0,

    /// <summary>One instance per dependency-injection scope; every publish or delivery gets its own scope.</summary>
    Scoped = 1,

    /// <summary>A new instance for every invocation.</summary>
    Transient = 2,
}
