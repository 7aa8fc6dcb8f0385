using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>
/// Marks a partial class as a module server: the generator emits a typed client with one method per
/// <see cref="IRequestHandler{TRequest, TResponse}"/> and <see cref="ICommandHandler{TCommand}"/> the class implements.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ModuleServerAttribute : Attribute
{
}

/// <summary>Handles requests of type <typeparamref name="TRequest"/> inside a module server and answers each with a <typeparamref name="TResponse"/>.</summary>
/// <typeparam name="TRequest">The request type; a module handles each request type at most once.</typeparam>
/// <typeparam name="TResponse">The response type.</typeparam>
public interface IRequestHandler<in TRequest, TResponse>
{
    /// <summary>Handles one request. The module runs one message at a time, so module state needs no locks.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    ValueTask<TResponse> HandleAsync(TRequest request, CancellationToken cancellationToken);
}

/// <summary>Handles fire-and-forget commands of type <typeparamref name="TCommand"/> inside a module server.</summary>
/// <typeparam name="TCommand">The command type.</typeparam>
public interface ICommandHandler<in TCommand>
{
    /// <summary>Handles one command. A failure is reported by the server (log, callback, counter), never to the sender.</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    ValueTask HandleAsync(TCommand command, CancellationToken cancellationToken);
}

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
