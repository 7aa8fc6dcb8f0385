using System;

namespace EventRouter.Modules;

/// <summary>How a module server stops.</summary>
public enum ModuleShutdownMode
{
    /// <summary>Stop accepting, handle everything already queued, then stop.</summary>
    Graceful = 0,

    /// <summary>Stop accepting, cancel the running handler's token, fail every queued request with <see cref="ModuleStoppedException"/>.</summary>
    Immediate = 1,
}
