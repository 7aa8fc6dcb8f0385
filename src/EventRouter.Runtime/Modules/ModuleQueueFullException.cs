using System;

namespace EventRouter.Modules;

/// <summary>Thrown when a module server's queue is full and its full mode is <see cref="Modules.ModuleFullMode.Reject"/>.</summary>
public sealed class ModuleQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module's name.</param>
    /// <param name="capacity">The queue's capacity.</param>
    public ModuleQueueFullException(string moduleName, int capacity)
        : base($"Module server '{moduleName}' has {capacity} queued message(s), its capacity; the message was rejected.")
    {
        ModuleName = moduleName;
        Capacity = capacity;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }

    /// <summary>The queue's capacity.</summary>
    public int Capacity { get; }
}
