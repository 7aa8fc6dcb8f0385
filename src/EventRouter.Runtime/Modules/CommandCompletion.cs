using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>
/// Lets a transport that serves a module learn when a command it handed to the module's server has run, so it can
/// acknowledge the command to its sender only then (a broker that redelivers what was not acknowledged never loses a
/// command the module had queued but not run when its process stopped).
/// </summary>
/// <remarks>
/// The transport sends through the module's own typed client inside <see cref="Track"/>: the client's filters and
/// the server's queue are used as for any command; the server wraps the handler it queues so that its completion is
/// reported. Nothing changes for sends outside <see cref="Track"/>.
/// </remarks>
internal static class CommandCompletion
{
    private static readonly AsyncLocal<CommandRun?> s_current = new();
    private static volatile bool s_used;

    /// <summary>
    /// Calls <paramref name="send"/> (which sends one command through a module client) and returns what tells when
    /// the server ran it. <see cref="CommandRun.Server"/> stays null when the command did not reach a server in this
    /// process (a client on a transport).
    /// </summary>
    public static CommandRun Track(Func<ValueTask> send, out ValueTask accepted)
    {
        s_used = true;
        var run = new CommandRun();
        var previous = s_current.Value;
        s_current.Value = run;
        try
        {
            accepted = send();
        }
        finally
        {
            s_current.Value = previous;
        }
        return run;
    }

    /// <summary>Called by the server as it takes a command: wraps the handler when the send is tracked.</summary>
    internal static ICommandHandler<TCommand> Attach<TCommand>(ICommandHandler<TCommand> handler, ModuleServer server)
    {
        if (!s_used || s_current.Value is not { Server: null } run)
        {
            return handler;
        }
        run.Server = server;
        return new TrackedCommandHandler<TCommand>(handler, run);
    }

    private sealed class TrackedCommandHandler<TCommand>(ICommandHandler<TCommand> inner, CommandRun run) : ICommandHandler<TCommand>
    {
        public async ValueTask HandleAsync(TCommand command, CancellationToken cancellationToken)
        {
            try
            {
                await inner.HandleAsync(command, cancellationToken).ConfigureAwait(false);
                run.Completed(null);
            }
            catch (Exception ex)
            {
                run.Completed(ex);
                throw;
            }
        }
    }
}

/// <summary>One tracked command: completes when its handler returned or threw.</summary>
internal sealed class CommandRun
{
    private readonly TaskCompletionSource<Exception?> _ran = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The server that queued the command; its <see cref="ModuleServer.Completion"/> ends the wait when the command is dropped unrun.</summary>
    public ModuleServer? Server { get; internal set; }

    /// <summary>Completes with null when the handler returned, with its exception when it threw; never when it did not run.</summary>
    public Task<Exception?> Ran => _ran.Task;

    /// <summary>True when the server stopped immediately (its running handler's token was cancelled).</summary>
    public bool ServerStoppedImmediately => Server?.StopToken.IsCancellationRequested == true;

    internal void Completed(Exception? failure) => _ran.TrySetResult(failure);
}
