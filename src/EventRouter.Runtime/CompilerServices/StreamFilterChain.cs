using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using EventRouter.Modules;

namespace EventRouter.CompilerServices;

/// <summary>
/// The filters around one stream request handler of one module, built once per client by generated code and passed to
/// the server as the handler, so the chain is enumerated where the handler would be: on the module's server, while the
/// module is held for the stream.
/// </summary>
/// <typeparam name="TRequest">The stream request type.</typeparam>
/// <typeparam name="TItem">The item type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StreamFilterChain<TRequest, TItem> : IStreamRequestHandler<TRequest, TItem>
{
    private readonly IStreamRequestHandler<TRequest, TItem> _handler;
    private readonly Func<IModuleFilter[]> _resolveFilters;
    private IModuleFilter[]? _filters;

    /// <summary>Creates the chain. Called by generated code.</summary>
    /// <param name="server">The module's server.</param>
    /// <param name="handler">The module, as the handler the chain ends in.</param>
    /// <param name="resolveFilters">Returns the filter instances, outermost first.</param>
    public StreamFilterChain(ModuleServer server, IStreamRequestHandler<TRequest, TItem> handler, Func<IModuleFilter[]> resolveFilters)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _resolveFilters = resolveFilters ?? throw new ArgumentNullException(nameof(resolveFilters));
    }

    internal ModuleServer Server { get; }

    /// <summary>Runs the whole chain for one stream request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">The stream's token.</param>
    /// <returns>The items.</returns>
    public IAsyncEnumerable<TItem> HandleAsync(TRequest request, CancellationToken cancellationToken) =>
        InvokeAsync(request, 0, cancellationToken);

    internal IAsyncEnumerable<TItem> InvokeAsync(TRequest request, int index, CancellationToken cancellationToken)
    {
        var filters = _filters ??= _resolveFilters();
        return (uint)index < (uint)filters.Length
            ? filters[index].InvokeStreamAsync(request, new StreamNext<TRequest, TItem>(this, index + 1), cancellationToken)
            : _handler.HandleAsync(request, cancellationToken);
    }
}
