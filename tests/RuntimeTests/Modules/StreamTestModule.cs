using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.Tests.Modules;

/// <summary>Streams 0 … Count-1; every <paramref name="YieldEvery"/>th item after an asynchronous yield.</summary>
public sealed record CountTo(int Count, int YieldEvery = 0);

/// <summary>Streams 0, 1, 2, … until the stream ends; records how far it got.</summary>
public sealed record Endless(string Tag);

/// <summary>Streams Items items, then throws <see cref="CustomModuleException"/>.</summary>
public sealed record FailAfter(int Items);

/// <summary>Streams Items items, then waits for its token (or, when IgnoreToken, for <see cref="StreamTestModule.Release"/>).</summary>
public sealed record StallAfter(int Items, bool IgnoreToken = false);

/// <summary>Streams the same object Count times: what an item costs, without the cost of making items.</summary>
public sealed record Repeat(object Item, int Count);

/// <summary>A request that waits for <see cref="StreamTestModule.Release"/>: keeps the module busy.</summary>
public sealed record Hold;

/// <summary>A request: returns the module's log so far.</summary>
public sealed record ReadLog;

/// <summary>A stream back into its own module from inside the handler.</summary>
public sealed record StreamSelf;

/// <summary>A module whose stream handlers record what they do, for the module stream tests.</summary>
[ModuleServer]
public sealed partial class StreamTestModule :
    IStreamRequestHandler<CountTo, int>,
    IStreamRequestHandler<Endless, int>,
    IStreamRequestHandler<FailAfter, int>,
    IStreamRequestHandler<StallAfter, int>,
    IStreamRequestHandler<StreamSelf, int>,
    IStreamRequestHandler<Repeat, object>,
    IRequestHandler<Hold, bool>,
    IRequestHandler<ReadLog, string[]>
{
    private readonly List<string> _log = new();
    private int _running;
    private int _taken;
    private int _maxAhead;

    /// <summary>Set by tests that stream from inside the module.</summary>
    public StreamTestModuleClient? Self { get; set; }

    /// <summary>Hold requests and StallAfter(IgnoreToken) streams wait for this.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when a Hold request starts.</summary>
    public TaskCompletionSource HoldEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed with whether the handler's token was cancelled, when an Endless or StallAfter handler's finally runs.</summary>
    public TaskCompletionSource<bool> Finished { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many items the Endless handler has yielded (written on the module, read by tests).</summary>
    public int Yielded => Volatile.Read(ref _yielded);

    private int _yielded;

    /// <summary>Handlers running at once, at most (1 when the module is held one at a time).</summary>
    public int MaxConcurrency { get; private set; }

    /// <summary>The most items an Endless handler was ahead of what the reader reported taking (<see cref="Took"/>).</summary>
    public int MaxAhead => Volatile.Read(ref _maxAhead);

    /// <summary>The reader reports each item it took, so the handler can check how far ahead it may run.</summary>
    public void Took() => Interlocked.Increment(ref _taken);

    public void ResetFinished() => Finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string[] Log()
    {
        lock (_log)
        {
            return _log.ToArray();
        }
    }

    private void Write(string entry)
    {
        lock (_log)
        {
            _log.Add(entry);
        }
    }

    private void Enter(string entry)
    {
        var running = Interlocked.Increment(ref _running);
        if (running > MaxConcurrency)
        {
            MaxConcurrency = running;
        }
        Write(entry);
    }

    private void Exit(string entry)
    {
        Write(entry);
        Interlocked.Decrement(ref _running);
    }

    public async IAsyncEnumerable<int> HandleAsync(CountTo request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("count:start");
        try
        {
            for (var i = 0; i < request.Count; i++)
            {
                if (request.YieldEvery > 0 && i % request.YieldEvery == 0)
                {
                    await Task.Yield();
                }
                yield return i;
            }
        }
        finally
        {
            Exit("count:end");
        }
    }

    public async IAsyncEnumerable<int> HandleAsync(Endless request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("endless:" + request.Tag);
        var finished = Finished;
        try
        {
            for (var i = 0; ; i++)
            {
                var ahead = i - Volatile.Read(ref _taken);
                if (ahead > _maxAhead)
                {
                    Volatile.Write(ref _maxAhead, ahead);
                }
                Interlocked.Increment(ref _yielded);
                yield return i;
                await Task.CompletedTask;
            }
        }
        finally
        {
            Exit("endless:end");
            finished.TrySetResult(cancellationToken.IsCancellationRequested);
        }
    }

    public async IAsyncEnumerable<int> HandleAsync(FailAfter request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("fail:start");
        try
        {
            for (var i = 0; i < request.Items; i++)
            {
                yield return i;
            }
            await Task.Yield();
            throw new CustomModuleException("stream failed after " + request.Items);
        }
        finally
        {
            Exit("fail:end");
        }
    }

    public async IAsyncEnumerable<int> HandleAsync(StallAfter request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("stall:start");
        var finished = Finished;
        try
        {
            for (var i = 0; i < request.Items; i++)
            {
                yield return i;
            }
            if (request.IgnoreToken)
            {
                await Release.Task.ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Exit("stall:end");
            finished.TrySetResult(cancellationToken.IsCancellationRequested);
        }
    }

    public async IAsyncEnumerable<int> HandleAsync(StreamSelf request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in Self!.StreamAsync(new CountTo(1), cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    public async IAsyncEnumerable<object> HandleAsync(Repeat request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        for (var i = 0; i < request.Count; i++)
        {
            yield return request.Item;
        }
    }

    public async ValueTask<bool> HandleAsync(Hold request, CancellationToken cancellationToken)
    {
        Enter("hold");
        HoldEntered.TrySetResult();
        await Release.Task.ConfigureAwait(false);
        Exit("hold:end");
        return true;
    }

    public ValueTask<string[]> HandleAsync(ReadLog request, CancellationToken cancellationToken) => new(Log());
}
