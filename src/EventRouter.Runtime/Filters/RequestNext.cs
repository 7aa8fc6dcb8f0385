using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.CompilerServices;
using EventRouter.Modules;

namespace EventRouter;

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
