using System;
using System.Collections.Generic;
using System.Threading;
using EventRouter.CompilerServices;

namespace EventRouter;

/// <summary>The rest of a stream request's filter chain, handed to <see cref="IModuleFilter.InvokeStreamAsync{TRequest, TItem}"/>. A struct: passing it allocates nothing.</summary>
/// <typeparam name="TRequest">The stream request type.</typeparam>
/// <typeparam name="TItem">The item type.</typeparam>
public readonly struct StreamNext<TRequest, TItem>
{
    private readonly StreamFilterChain<TRequest, TItem> _chain;
    private readonly int _index;

    internal StreamNext(StreamFilterChain<TRequest, TItem> chain, int index)
    {
        _chain = chain;
        _index = index;
    }

    /// <summary>The name of the module whose handler the chain ends in.</summary>
    public string ModuleName => _chain.Server.Name;

    /// <summary>The <c>[ModuleServer]</c> class whose handler the chain ends in.</summary>
    public Type ModuleType => _chain.Server.ModuleType;

    /// <summary>The stream request type the handler was declared for (<typeparamref name="TRequest"/>).</summary>
    public Type MessageType => typeof(TRequest);

    /// <summary>Runs the later filters and then the module's handler.</summary>
    /// <param name="request">The request (a filter may pass on a different one).</param>
    /// <param name="cancellationToken">The token to pass on.</param>
    /// <returns>The handler's items, as the later filters leave them.</returns>
    public IAsyncEnumerable<TItem> InvokeAsync(TRequest request, CancellationToken cancellationToken) =>
        _chain.InvokeAsync(request, _index, cancellationToken);
}
