using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>
/// Base of the generated typed clients. A generated client adds one public <c>RequestAsync</c> per request type, one
/// <c>StreamAsync</c> per stream request type and one <c>SendAsync</c> per command type the module handles; nothing
/// else can be sent, so nothing is downcast.
/// </summary>
/// <remarks>
/// A client talks either to a <see cref="ModuleServer{TModule}"/> in this process or, built on an
/// <see cref="IModuleTransport"/>, to the module's server in another process. Callers use the same methods.
/// </remarks>
/// <typeparam name="TModule">The <c>[ModuleServer]</c> class.</typeparam>
public abstract class ModuleClient<TModule> where TModule : class
{
    private readonly IModuleTransport? _transport;
    private readonly TModule? _module;

    /// <summary>Creates the client of a server in this process.</summary>
    /// <param name="server">The module's server.</param>
    protected ModuleClient(ModuleServer<TModule> server)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
        _module = server.Module;
    }

    /// <summary>Creates the client of a module served in another process.</summary>
    /// <param name="transport">Carries the messages to the module's server.</param>
    protected ModuleClient(IModuleTransport transport)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
    }

    /// <summary>The module's server when it runs in this process; null for a client built on a transport.</summary>
    public ModuleServer<TModule>? Server { get; }

    /// <summary>
    /// The module instance, passed by generated code as the handler of each message type. Null for a client built on a
    /// transport, which never calls a handler itself.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TModule Module => _module!;

    /// <summary>Shows <paramref name="visitor"/> every request and command type of the module. Implemented by generated code.</summary>
    /// <param name="visitor">The visitor.</param>
    public abstract void VisitMessages(IModuleMessageVisitor visitor);

    /// <summary>Sends a request and waits for its response. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask<TResponse> RequestCoreAsync<TRequest, TResponse>(IRequestHandler<TRequest, TResponse> handler, TRequest request, CancellationToken cancellationToken) =>
        _transport is null
            ? Server!.RequestAsync(handler, request, cancellationToken)
            : _transport.RequestAsync<TRequest, TResponse>(request, cancellationToken);

    /// <summary>Opens a stream request: each enumeration sends the request and reads the items. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected IAsyncEnumerable<TItem> StreamCoreAsync<TRequest, TItem>(IStreamRequestHandler<TRequest, TItem> handler, TRequest request, CancellationToken cancellationToken) =>
        _transport is null
            ? Server!.Stream(handler, request, cancellationToken)
            : _transport.StreamAsync<TRequest, TItem>(request, cancellationToken);

    /// <summary>Queues a command. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask SendCoreAsync<TCommand>(ICommandHandler<TCommand> handler, TCommand command, CancellationToken cancellationToken) =>
        _transport is null
            ? Server!.SendAsync(handler, command, cancellationToken)
            : _transport.SendAsync(command, cancellationToken);
}
