using System;

namespace EventRouter.Modules;

/// <summary>
/// Thrown to a module that requests itself, directly or around a cycle of modules: the request would wait for a
/// module that is waiting for it, so it fails instead of deadlocking.
/// </summary>
public sealed class ModuleReentrancyException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module that was requested while it is already handling a message on the call path.</param>
    /// <param name="path">The modules on the call path, outermost first, ending with the requested module.</param>
    public ModuleReentrancyException(string moduleName, string path)
        : base($"Module server '{moduleName}' was requested while handling a message on the same call path ({path}); this would deadlock.")
    {
        ModuleName = moduleName;
        Path = path;
    }

    /// <summary>The module that was requested again.</summary>
    public string ModuleName { get; }

    /// <summary>The call path, for example <c>A -&gt; B -&gt; A</c>.</summary>
    public string Path { get; }
}
