using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.Modules;

public sealed record Echo(int Id);
public sealed record EchoReply(int Id);
public sealed record Block(string Tag);
public sealed record Throw(string Kind);
public sealed record GetLog;
public sealed record WaitForStop;
public sealed record Note(string Text);
public sealed record FailCommand(string Kind);
public readonly record struct Add(int A, int B);
public readonly record struct Tally(int Amount);
public sealed record HoldUntil(Task Until);

public sealed class CustomModuleException : Exception
{
    public CustomModuleException(string message) : base(message)
    {
    }
}

/// <summary>A module whose handlers record what they do, so tests can check order and one-at-a-time execution.</summary>
[ModuleServer]
public sealed partial class TestModule :
    IRequestHandler<Echo, EchoReply>,
    IRequestHandler<Block, string>,
    IRequestHandler<Throw, int>,
    IRequestHandler<GetLog, string[]>,
    IRequestHandler<WaitForStop, bool>,
    IRequestHandler<Add, int>,
    IRequestHandler<HoldUntil, bool>,
    ICommandHandler<Note>,
    ICommandHandler<FailCommand>,
    ICommandHandler<Tally>
{
    private readonly List<string> _log = new();
    private int _running;

    /// <summary>Completed by a Block handler when it starts.</summary>
    public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Block handlers wait for this.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int MaxConcurrency { get; private set; }

    public int LastHandlerThread { get; private set; }

    public bool StopTokenObserved { get; private set; }

    public string[] Snapshot()
    {
        lock (_log)
        {
            return _log.ToArray();
        }
    }

    public void ResetEntered() => Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Enter(string entry)
    {
        var running = Interlocked.Increment(ref _running);
        if (running > MaxConcurrency)
        {
            MaxConcurrency = running;
        }
        LastHandlerThread = Environment.CurrentManagedThreadId;
        lock (_log)
        {
            _log.Add(entry);
        }
    }

    private void Exit() => Interlocked.Decrement(ref _running);

    public async ValueTask<EchoReply> HandleAsync(Echo request, CancellationToken cancellationToken)
    {
        Enter("echo:" + request.Id);
        try
        {
            if (request.Id % 3 == 0)
            {
                await Task.Yield();
            }
            return new EchoReply(request.Id);
        }
        finally
        {
            Exit();
        }
    }

    public async ValueTask<string> HandleAsync(Block request, CancellationToken cancellationToken)
    {
        Enter("block:" + request.Tag);
        try
        {
            Entered.TrySetResult();
            await Release.Task.ConfigureAwait(false);
            return request.Tag;
        }
        finally
        {
            Exit();
        }
    }

    public ValueTask<int> HandleAsync(Throw request, CancellationToken cancellationToken)
    {
        Enter("throw:" + request.Kind);
        try
        {
            return request.Kind switch
            {
                "invalid" => throw new InvalidOperationException("invalid state"),
                "argument" => throw new ArgumentException("bad argument", "request"),
                "custom" => throw new CustomModuleException("custom failure"),
                _ => ThrowLaterAsync(),
            };
        }
        finally
        {
            Exit();
        }
    }

    private static async ValueTask<int> ThrowLaterAsync()
    {
        await Task.Yield();
        throw new NotSupportedException("async failure");
    }

    public ValueTask<string[]> HandleAsync(GetLog request, CancellationToken cancellationToken) => new(Snapshot());

    public async ValueTask<bool> HandleAsync(WaitForStop request, CancellationToken cancellationToken)
    {
        Enter("wait");
        try
        {
            Entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                StopTokenObserved = true;
                throw;
            }
            return true;
        }
        finally
        {
            Exit();
        }
    }

    public ValueTask<int> HandleAsync(Add request, CancellationToken cancellationToken) => new(request.A + request.B);

    /// <summary>Holds the module until the request's task completes, logging nothing (sends queue behind it).</summary>
    public async ValueTask<bool> HandleAsync(HoldUntil request, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        await request.Until.ConfigureAwait(false);
        return true;
    }

    /// <summary>Sum of the <see cref="Tally"/> amounts handled.</summary>
    public long Tallied { get; private set; }

    public ValueTask HandleAsync(Tally command, CancellationToken cancellationToken)
    {
        if (command.Amount < 100)
        {
            Enter("tally:" + command.Amount);
            Exit();
        }
        Tallied += command.Amount;
        return default;
    }

    public ValueTask HandleAsync(Note command, CancellationToken cancellationToken)
    {
        Enter("note:" + command.Text);
        Exit();
        return default;
    }

    public async ValueTask HandleAsync(FailCommand command, CancellationToken cancellationToken)
    {
        Enter("fail:" + command.Kind);
        Exit();
        if (command.Kind == "async")
        {
            await Task.Yield();
            throw new FormatException("async command failure");
        }
        throw new InvalidOperationException("command failure");
    }
}

public sealed record Ping(int Hops);

/// <summary>Requests its peer (or itself) while handling a request: used for re-entrancy tests.</summary>
[ModuleServer]
public sealed partial class RelayModule : IRequestHandler<Ping, string>
{
    public RelayModuleClient? Peer { get; set; }

    public async ValueTask<string> HandleAsync(Ping request, CancellationToken cancellationToken)
    {
        if (request.Hops == 0)
        {
            return "pong";
        }
        return await Peer!.RequestAsync(new Ping(request.Hops - 1), cancellationToken) + "<";
    }
}

public interface IGreeter
{
    string Greet(string name);
}

public sealed class Greeter : IGreeter
{
    public string Greet(string name) => "hello " + name;
}

public sealed record Greet(string Name);

/// <summary>A module with a constructor dependency, registered through AddModuleServer.</summary>
[ModuleServer]
internal sealed partial class GreeterModule : IRequestHandler<Greet, string>
{
    private readonly IGreeter _greeter;

    public GreeterModule(IGreeter greeter) => _greeter = greeter;

    public ValueTask<string> HandleAsync(Greet request, CancellationToken cancellationToken) => new(_greeter.Greet(request.Name));
}
