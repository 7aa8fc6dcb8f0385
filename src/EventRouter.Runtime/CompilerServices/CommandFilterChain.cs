using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.CompilerServices;

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
