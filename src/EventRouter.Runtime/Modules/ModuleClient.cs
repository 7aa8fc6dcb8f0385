using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>
/// Base of the generated typed clients. A generated client adds one public <c>RequestAsync</c> per request type and
/// one <c>SendAsync</c> per command type the module handles; nothing else can be sent, so nothing is downcast.
/// </summary>
/// <typeparam name="TModule">The <c>[ModuleServer]</c> class.</typeparam>
public abstract class ModuleClient<TModule> where TModule : class
{
    /// <summary>Creates the client of a server.</summary>
    /// <param name="server">The module's server.</param>
    protected ModuleClient(ModuleServer<TModule> server)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
    }

    /// <summary>The module's server.</summary>
    public ModuleServer<TModule> Server { get; }

    /// <summary>The module instance, passed by generated code as the handler of each message type.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TModule Module => Server.Module;

    /// <summary>Sends a request and waits for its response. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask<TResponse> RequestCoreAsync<TRequest, TResponse>(IRequestHandler<TRequest, TResponse> handler, TRequest request, CancellationToken cancellationToken) =>
        Server.RequestAsync(handler, request, cancellationToken);

    /// <summary>Queues a command. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask SendCoreAsync<TCommand>(ICommandHandler<TCommand> handler, TCommand command, CancellationToken cancellationToken) =>
        Server.SendAsync(handler, command, cancellationToken);
}
