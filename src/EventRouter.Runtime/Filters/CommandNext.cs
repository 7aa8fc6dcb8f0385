using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.CompilerServices;
using EventRouter.Modules;

namespace EventRouter;

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
