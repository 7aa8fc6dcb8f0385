using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>Handles fire-and-forget commands of type <typeparamref name="TCommand"/> inside a module server.</summary>
/// <typeparam name="TCommand">The command type.</typeparam>
public interface ICommandHandler<in TCommand>
{
    /// <summary>Handles one command. A failure is reported by the server (log, callback, counter), never to the sender.</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Cancelled when the module stops immediately.</param>
    ValueTask HandleAsync(TCommand command, CancellationToken cancellationToken);
}
