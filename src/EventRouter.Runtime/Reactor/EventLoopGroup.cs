using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

/// <summary>A fixed set of <see cref="EventLoop"/>s handed out round-robin; a TCP server binds each connection to one.</summary>
public sealed class EventLoopGroup : IDisposable, IAsyncDisposable
{
    private readonly EventLoop[] _loops;
    private int _next = -1;

    /// <summary>Creates and starts the loops.</summary>
    /// <param name="loopCount">How many loops; 0 (default) means <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="options">Settings for every loop; each loop's name gets its index appended.</param>
    public EventLoopGroup(int loopCount = 0, EventLoopOptions? options = null)
    {
        if (loopCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(loopCount), loopCount, "The loop count cannot be negative.");
        }
        if (loopCount == 0)
        {
            loopCount = Environment.ProcessorCount;
        }
        options ??= new EventLoopOptions();
        _loops = new EventLoop[loopCount];
        for (var i = 0; i < loopCount; i++)
        {
            _loops[i] = new EventLoop(new EventLoopOptions
            {
                Name = options.Name + "-" + i,
                TimeProvider = options.TimeProvider,
                BlockedThreshold = options.BlockedThreshold,
                Publisher = options.Publisher,
                LoggerFactory = options.LoggerFactory,
            });
        }
    }

    /// <summary>The number of loops.</summary>
    public int Count => _loops.Length;

    /// <summary>All loops, in index order.</summary>
    public IReadOnlyList<EventLoop> Loops => _loops;

    /// <summary>The next loop, round-robin. Safe from any thread.</summary>
    public EventLoop Next()
    {
        var index = (uint)Interlocked.Increment(ref _next) % (uint)_loops.Length;
        return _loops[index];
    }

    /// <summary>Stops every loop and waits for their threads.</summary>
    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Shutdown();
        }
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }

    /// <summary>Stops every loop and waits asynchronously for their threads.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var loop in _loops)
        {
            loop.Shutdown();
        }
        foreach (var loop in _loops)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }
    }
}
