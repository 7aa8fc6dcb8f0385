using System;

namespace EventRouter.Modules;

/// <summary>
/// Ends a module stream whose reader and module stopped keeping pace with each other for longer than
/// <see cref="ModuleServerOptions.StreamItemTimeout"/>: the module waited that long for room in the stream's full
/// buffer (a slow reader), or the reader waited that long for the next item (a slow module).
/// </summary>
public sealed class ModuleStreamTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module's name.</param>
    /// <param name="requestType">The stream request's type.</param>
    /// <param name="timeout">The item timeout that elapsed.</param>
    /// <param name="readerStalled">True when the module waited for the reader; false when the reader waited for the module.</param>
    public ModuleStreamTimeoutException(string moduleName, Type requestType, TimeSpan timeout, bool readerStalled)
        : base(readerStalled
            ? $"The reader of the {requestType.Name} stream of module server '{moduleName}' took no item for {timeout}; the stream was ended to free the module."
            : $"Module server '{moduleName}' produced no item of its {requestType.Name} stream for {timeout}.")
    {
        ModuleName = moduleName;
        RequestType = requestType;
        Timeout = timeout;
        ReaderStalled = readerStalled;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }

    /// <summary>The stream request's type.</summary>
    public Type RequestType { get; }

    /// <summary>The item timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>True when the module waited for the reader (its buffer was full); false when the reader waited for the module.</summary>
    public bool ReaderStalled { get; }
}
