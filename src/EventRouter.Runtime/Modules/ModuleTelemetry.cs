using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>
/// The instrumented paths of module servers, taken only when <see cref="Telemetry.IsEnabled"/>: a request or command
/// span on the caller's side and a process span where the handler runs. The handler is wrapped in a traced handler
/// that carries the caller's span context, so the process span is parented across the channel hop, and also on the
/// idle-inline path (which runs the handler inside the module's own execution context, where
/// <see cref="Activity.Current"/> is not the caller's).
/// </summary>
internal static class ModuleTelemetry
{
    public const string ModuleTag = "eventrouter.module";

    /// <summary>"Module/MessageType": the span destination of a module message.</summary>
    public static string Destination(ModuleServer server, Type messageType) => server.Name + "/" + messageType.Name;

    public static string Outcome(Exception? exception) => exception switch
    {
        null => "success",
        ModuleRequestTimeoutException or ModuleStreamTimeoutException => "timeout",
        OperationCanceledException => "canceled",
        ModuleStoppedException or ModuleQueueFullException or ModuleReentrancyException => "rejected",
        _ => "failure",
    };

    /// <summary>Starts the process span of a handler invocation under the caller's span.</summary>
    public static Activity? StartProcess(ModuleServer server, string destination, ActivityContext parent, object? payload, ActivityKind kind)
    {
        var activity = Telemetry.StartActivity("process", destination, kind, parent, payload);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(ModuleTag, server.Name);
            // The harness and dashboards read the handler from here, like a listener's name for events.
            activity.SetTag("eventrouter.listener", server.Name);
        }
        return activity;
    }
}

/// <summary>A request handler that runs the real one inside a process span parented to the caller's request span.</summary>
internal sealed class TracedRequestHandler<TRequest, TResponse>(
    IRequestHandler<TRequest, TResponse> inner, ModuleServer server, string destination, ActivityContext parent)
    : IRequestHandler<TRequest, TResponse>
{
    // An async method: the Activity.Current it sets is undone when it returns to the module's loop or inline caller.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TResponse> HandleAsync(TRequest request, CancellationToken cancellationToken)
    {
        using var activity = ModuleTelemetry.StartProcess(server, destination, parent, request, ActivityKind.Server);
        try
        {
            return await inner.HandleAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }
}

/// <summary>A command handler that runs the real one inside a process span linked as a child of the send's span.</summary>
internal sealed class TracedCommandHandler<TCommand>(
    ICommandHandler<TCommand> inner, ModuleServer server, string destination, ActivityContext parent)
    : ICommandHandler<TCommand>
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask HandleAsync(TCommand command, CancellationToken cancellationToken)
    {
        using var activity = ModuleTelemetry.StartProcess(server, destination, parent, command, ActivityKind.Consumer);
        try
        {
            await inner.HandleAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }
}
