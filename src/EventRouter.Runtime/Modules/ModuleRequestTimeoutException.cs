using System;
using System.Threading;

namespace EventRouter.Modules;

/// <summary>
/// Thrown to a caller whose request was not answered within the module's request timeout, or to a sender that waited
/// longer than that timeout for room in a full queue.
/// </summary>
public sealed class ModuleRequestTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module's name.</param>
    /// <param name="requestType">The request's (or command's) type.</param>
    /// <param name="timeout">The timeout that elapsed.</param>
    public ModuleRequestTimeoutException(string moduleName, Type requestType, TimeSpan timeout)
        : base($"Module server '{moduleName}' did not answer or accept {requestType.Name} within {timeout}.")
    {
        ModuleName = moduleName;
        RequestType = requestType;
        Timeout = timeout;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }

    /// <summary>The request's (or, for a send that found no room, the command's) type.</summary>
    public Type RequestType { get; }

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}
