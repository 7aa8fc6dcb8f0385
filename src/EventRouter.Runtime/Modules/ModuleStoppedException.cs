using System;

namespace EventRouter.Modules;

/// <summary>Thrown to a caller whose message a module server will not handle because the server is stopping or stopped.</summary>
public sealed class ModuleStoppedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module's name.</param>
    public ModuleStoppedException(string moduleName)
        : base($"Module server '{moduleName}' is stopped or stopping; the message was not handled.")
    {
        ModuleName = moduleName;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }
}
