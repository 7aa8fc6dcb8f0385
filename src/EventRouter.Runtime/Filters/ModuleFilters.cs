using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter;

/// <summary>
/// Middleware around module handlers: logging, validation, authorization, metrics. Declared with
/// <see cref="EventFilterAttribute"/> like event filters; the generator composes every applicable filter, in
/// <see cref="EventFilterAttribute.Order"/>, around each request and command handler of each <c>[ModuleServer]</c>.
/// </summary>
/// <remarks>
/// The chain runs on the module's server, inside its one-message-at-a-time guarantee: a filter may touch the module's
/// state like a handler does, and a request it makes to the same module fails with <see cref="ModuleReentrancyException"/>.
/// A filter can run code before and after <c>next.InvokeAsync</c>, observe or replace exceptions, or not call next at
/// all (a request filter then returns the response itself). Both methods default to calling next, so a filter only
/// implements the one it cares about. Completing synchronously keeps the request allocation-free.
/// </remarks>
public interface IModuleFilter
{
    /// <summary>Runs around one request's handler.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="next">The rest of the chain: later filters, then the module's handler.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    /// <returns>The response the caller receives.</returns>
    ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken) =>
        next.InvokeAsync(request, cancellationToken);

    /// <summary>Runs around one command's handler.</summary>
    /// <typeparam name="TCommand">The command type.</typeparam>
    /// <param name="command">The command.</param>
    /// <param name="next">The rest of the chain: later filters, then the module's handler.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    /// <returns>Completes when the command is handled; a failure is reported by the server like a handler's.</returns>
    ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken cancellationToken) =>
        next.InvokeAsync(command, cancellationToken);
}

/// <summary>The rest of a request's filter chain, handed to <see cref="IModuleFilter.InvokeRequestAsync{TRequest, TResponse}"/>. A struct: passing it allocates nothing.</summary>
/// <typeparam name="TRequest">The request type.</typeparam>
/// <typeparam name="TResponse">The response type.</typeparam>
public readonly struct RequestNext<TRequest, TResponse>
{
    private readonly RequestFilterChain<TRequest, TResponse> _chain;
    private readonly int _index;

    internal RequestNext(RequestFilterChain<TRequest, TResponse> chain, int index)
    {
        _chain = chain;
        _index = index;
    }

    /// <summary>The name of the module whose handler the chain ends in.</summary>
    public string ModuleName => _chain.Server.Name;

    /// <summary>The <c>[ModuleServer]</c> class whose handler the chain ends in.</summary>
    public Type ModuleType => _chain.Server.ModuleType;

    /// <summary>The request type the handler was declared for (<typeparamref name="TRequest"/>).</summary>
    public Type MessageType => typeof(TRequest);

    /// <summary>Runs the later filters and then the module's handler.</summary>
    /// <param name="request">The request (a filter may pass on a different one).</param>
    /// <param name="cancellationToken">The token to pass on.</param>
    /// <returns>The handler's response, as the later filters leave it.</returns>
    public ValueTask<TResponse> InvokeAsync(TRequest request, CancellationToken cancellationToken) =>
        _chain.InvokeAsync(request, _index, cancellationToken);
}

/// <summary>The rest of a command's filter chain, handed to <see cref="IModuleFilter.InvokeCommandAsync{TCommand}"/>. A struct: passing it allocates nothing.</summary>
/// <typeparam name="TCommand">The command type.</typeparam>
public readonly struct CommandNext<TCommand>
{
    private readonly CommandFilterChain<TCommand> _chain;
    private readonly int _index;

    internal CommandNext(CommandFilterChain<TCommand> chain, int index)
    {
        _chain = chain;
        _index = index;
    }

    /// <summary>The name of the module whose handler the chain ends in.</summary>
    public string ModuleName => _chain.Server.Name;

    /// <summary>The <c>[ModuleServer]</c> class whose handler the chain ends in.</summary>
    public Type ModuleType => _chain.Server.ModuleType;

    /// <summary>The command type the handler was declared for (<typeparamref name="TCommand"/>).</summary>
    public Type MessageType => typeof(TCommand);

    /// <summary>Runs the later filters and then the module's handler.</summary>
    /// <param name="command">The command (a filter may pass on a different one).</param>
    /// <param name="cancellationToken">The token to pass on.</param>
    /// <returns>Completes when the rest of the chain has.</returns>
    public ValueTask InvokeAsync(TCommand command, CancellationToken cancellationToken) =>
        _chain.InvokeAsync(command, _index, cancellationToken);
}

/// <summary>
/// The filters around one request handler of one module, built once per client by generated code and passed to the
/// server as the handler, so the chain runs where the handler would: on the module's server, one message at a time.
/// Filter instances are resolved on first use, on the module's server.
/// </summary>
/// <typeparam name="TRequest">The request type.</typeparam>
/// <typeparam name="TResponse">The response type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class RequestFilterChain<TRequest, TResponse> : IRequestHandler<TRequest, TResponse>
{
    private readonly IRequestHandler<TRequest, TResponse> _handler;
    private readonly Func<IModuleFilter[]> _resolveFilters;
    private IModuleFilter[]? _filters;

    /// <summary>Creates the chain. Called by generated code.</summary>
    /// <param name="server">The module's server.</param>
    /// <param name="handler">The module, as the handler the chain ends in.</param>
    /// <param name="resolveFilters">Returns the filter instances, outermost first.</param>
    public RequestFilterChain(ModuleServer server, IRequestHandler<TRequest, TResponse> handler, Func<IModuleFilter[]> resolveFilters)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _resolveFilters = resolveFilters ?? throw new ArgumentNullException(nameof(resolveFilters));
    }

    internal ModuleServer Server { get; }

    /// <summary>Runs the whole chain for one request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">The server's token.</param>
    /// <returns>The response.</returns>
    public ValueTask<TResponse> HandleAsync(TRequest request, CancellationToken cancellationToken) =>
        InvokeAsync(request, 0, cancellationToken);

    internal ValueTask<TResponse> InvokeAsync(TRequest request, int index, CancellationToken cancellationToken)
    {
        var filters = _filters ??= _resolveFilters();
        return (uint)index < (uint)filters.Length
            ? filters[index].InvokeRequestAsync(request, new RequestNext<TRequest, TResponse>(this, index + 1), cancellationToken)
            : _handler.HandleAsync(request, cancellationToken);
    }
}

/// <summary>
/// The filters around one command handler of one module, built once per client by generated code and passed to the
/// server as the handler, so the chain runs on the module's server, one message at a time.
/// </summary>
/// <typeparam name="TCommand">The command type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CommandFilterChain<TCommand> : ICommandHandler<TCommand>
{
    private readonly ICommandHandler<TCommand> _handler;
    private readonly Func<IModuleFilter[]> _resolveFilters;
    private IModuleFilter[]? _filters;

    /// <summary>Creates the chain. Called by generated code.</summary>
    /// <param name="server">The module's server.</param>
    /// <param name="handler">The module, as the handler the chain ends in.</param>
    /// <param name="resolveFilters">Returns the filter instances, outermost first.</param>
    public CommandFilterChain(ModuleServer server, ICommandHandler<TCommand> handler, Func<IModuleFilter[]> resolveFilters)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _resolveFilters = resolveFilters ?? throw new ArgumentNullException(nameof(resolveFilters));
    }

    internal ModuleServer Server { get; }

    /// <summary>Runs the whole chain for one command.</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">The server's token.</param>
    /// <returns>Completes when the command is handled.</returns>
    public ValueTask HandleAsync(TCommand command, CancellationToken cancellationToken) =>
        InvokeAsync(command, 0, cancellationToken);

    internal ValueTask InvokeAsync(TCommand command, int index, CancellationToken cancellationToken)
    {
        var filters = _filters ??= _resolveFilters();
        return (uint)index < (uint)filters.Length
            ? filters[index].InvokeCommandAsync(command, new CommandNext<TCommand>(this, index + 1), cancellationToken)
            : _handler.HandleAsync(command, cancellationToken);
    }
}

/// <summary>Creates module filter instances for generated clients.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModuleFilterFactory
{
    /// <summary>
    /// Returns the filter in <paramref name="slot"/>, creating it first if needed: from the services the server was
    /// created with (<c>AddModuleServer</c> registers the module's filters as singletons), else through its parameterless
    /// constructor. Called by generated code.
    /// </summary>
    /// <typeparam name="TFilter">The filter class.</typeparam>
    /// <param name="slot">The client's field for this filter.</param>
    /// <param name="server">The module's server.</param>
    /// <param name="constructor">Creates the filter without DI; null when it has no parameterless constructor.</param>
    /// <returns>The one instance this client uses.</returns>
    public static TFilter InitializeSingleton<TFilter>(ref TFilter? slot, ModuleServer server, Func<TFilter>? constructor)
        where TFilter : class, IModuleFilter
    {
        ArgumentNullException.ThrowIfNull(server);
        var created = server.Services?.GetService(typeof(TFilter)) as TFilter
            ?? constructor?.Invoke()
            ?? throw new InvalidOperationException(
                $"Cannot create module filter {typeof(TFilter).FullName} for module server '{server.Name}': it has no public parameterless constructor. "
                + "Register the module with services.AddModuleServer<TModule>() (which registers its filters), or register the filter in the container the server is created with.");
        // Two racing first uses may both create one; only the first stored instance is ever used.
        return Interlocked.CompareExchange(ref slot, created, null) ?? created;
    }
}
