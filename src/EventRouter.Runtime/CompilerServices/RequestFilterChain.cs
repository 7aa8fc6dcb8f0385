using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.CompilerServices;

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
