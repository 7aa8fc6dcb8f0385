using System.IO;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;

namespace ModuleSample;

/// <summary>
/// A module filter: it runs on the module's server around every request and command handler, one message at a time
/// like the handlers. Its constructor dependency comes from the container (<c>AddModuleServer</c> registers it).
/// </summary>
[EventFilter(Order = 1)]
public sealed class MessageLogFilter(TextWriter log) : IModuleFilter
{
    /// <inheritdoc />
    public ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken)
    {
        log.WriteLine($"[{next.ModuleName}] {request}");
        return next.InvokeAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken cancellationToken)
    {
        log.WriteLine($"[{next.ModuleName}] {command}");
        return next.InvokeAsync(command, cancellationToken);
    }
}
