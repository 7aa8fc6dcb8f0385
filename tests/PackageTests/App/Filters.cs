using EventRouter;

namespace PackageApp;

/// <summary>Messages the audit trail follows: an event and the inventory's messages.</summary>
public interface IAudited
{
}

/// <summary>
/// One class, both kinds of filter: it wraps the listeners of audited events and the inventory's requests. It does not
/// implement the command method, so commands pass through the interface's default.
/// </summary>
[EventFilter(Order = 1, AppliesTo = typeof(IAudited))]
public sealed class AuditTrail : IEventFilter, IModuleFilter
{
    public ValueTask InvokeAsync<TEvent>(TEvent @event, ListenerNext<TEvent> next, CancellationToken cancellationToken)
    {
        Console.WriteLine($"filter: {next.EventName} -> {next.Listener.Name}");
        return next.InvokeAsync(@event, cancellationToken);
    }

    public async ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken)
    {
        try
        {
            var response = await next.InvokeAsync(request, cancellationToken);
            Console.WriteLine($"filter: {next.ModuleName} answered {next.MessageType.Name} with {response}");
            return response;
        }
        catch (Exception ex)
        {
            Console.WriteLine($"filter: {next.ModuleName} failed {next.MessageType.Name}: {ex.GetType().Name}");
            throw;
        }
    }
}

/// <summary>A command filter that short-circuits: an empty restock never reaches the module.</summary>
[EventFilter(Order = 2, AppliesTo = typeof(Restock))]
public sealed class SkipEmptyRestock : IModuleFilter
{
    public ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken cancellationToken)
    {
        if (command is Restock { Quantity: 0 } empty)
        {
            Console.WriteLine($"filter: {next.ModuleName} skipped an empty restock of {empty.Sku}");
            return default;
        }
        return next.InvokeAsync(command, cancellationToken);
    }
}
