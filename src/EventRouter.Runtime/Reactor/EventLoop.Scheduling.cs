using System;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

public sealed partial class EventLoop
{
    /// <summary>Queues a callback to run on the loop. Safe from any thread; allocates nothing in steady state.</summary>
    /// <param name="callback">What to run; pass a static lambda and use <paramref name="state"/> to avoid a closure.</param>
    /// <param name="state">Passed to the callback.</param>
    /// <exception cref="ObjectDisposedException">The loop has stopped.</exception>
    public void Post(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (!TryPost(callback, state))
        {
            throw new ObjectDisposedException(Name, "The event loop has stopped.");
        }
    }

    /// <summary>Queues an action to run on the loop. Safe from any thread.</summary>
    /// <exception cref="ObjectDisposedException">The loop has stopped.</exception>
    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!TryPostCore(new WorkItem(action, null)))
        {
            throw new ObjectDisposedException(Name, "The event loop has stopped.");
        }
    }

    /// <summary>
    /// Publishes an event on the loop thread through <see cref="EventLoopOptions.Publisher"/>, after the work already
    /// queued (the seed's Message event). Allocates one small work item per call. Failures are logged.
    /// </summary>
    /// <exception cref="InvalidOperationException">No publisher is configured.</exception>
    /// <exception cref="ObjectDisposedException">The loop has stopped.</exception>
    public void Publish<TEvent>(TEvent @event)
    {
        if (_publisher is null)
        {
            throw new InvalidOperationException("This event loop has no EventLoopOptions.Publisher.");
        }
        Post(static s => ((PublishItem<TEvent>)s!).Run(), new PublishItem<TEvent>(this, @event));
    }

    /// <summary>Runs an action on the loop and completes when it has run (with its exception, if it threw).</summary>
    public Task InvokeAsync(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return InvokeAsync(() =>
        {
            action();
            return true;
        });
    }

    /// <summary>Runs a function on the loop and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                tcs.TrySetResult(func());
            }
            catch (Exception ex)
            {
                tcs.TrySetException(ex);
            }
        });
        return tcs.Task;
    }

    /// <summary>Starts an asynchronous function on the loop; its awaits resume on the loop. Completes when it does.</summary>
    public Task InvokeAsync(Func<Task> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        return InvokeAsync<Task>(func).Unwrap();
    }

    internal bool TryPost(Action<object?> callback, object? state) => TryPostCore(new WorkItem(callback, state));

    private bool TryPostCore(in WorkItem item)
    {
        if (Volatile.Read(ref _terminatedFlag) != 0)
        {
            return false;
        }
        _queue.Enqueue(item);
        if (Volatile.Read(ref _terminatedFlag) != 0)
        {
            // The loop exited between the check and the enqueue: it will never see this item, so run whatever is
            // left on the thread pool rather than lose it.
            DrainOrphans();
            return true;
        }
        Wake();
        return true;
    }

    private void Wake()
    {
        // Enqueue is a full fence, and the loop publishes _parked with a full fence before re-checking the queue:
        // one of the two always sees the other, so a wake-up is never lost. Only a parked loop costs a signal.
        if (Volatile.Read(ref _parked) == 1 && Interlocked.Exchange(ref _parked, 0) == 1)
        {
            _wake.Set();
        }
    }

    private void PublishOnLoop<TEvent>(TEvent @event)
    {
        ValueTask pending;
        try
        {
            pending = _publisher!.PublishAsync(@event);
        }
        catch (Exception ex)
        {
            ReactorLog.PublishFailed(_logger, Name, typeof(TEvent).Name, ex);
            return;
        }
        if (!pending.IsCompletedSuccessfully)
        {
            _ = ObservePublishAsync(pending, typeof(TEvent).Name);
        }
    }

    private async Task ObservePublishAsync(ValueTask pending, string eventType)
    {
        try
        {
            await pending;
        }
        catch (Exception ex)
        {
            ReactorLog.PublishFailed(_logger, Name, eventType, ex);
        }
    }

    private sealed class PublishItem<TEvent>(EventLoop loop, TEvent @event)
    {
        public void Run() => loop.PublishOnLoop(@event);
    }

    /// <summary>Makes <c>await</c> inside loop code resume on the loop.</summary>
    private sealed class EventLoopSynchronizationContext(EventLoop loop) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
            if (!loop.TryPostCore(new WorkItem(d, state)))
            {
                // The loop is gone: run the continuation anyway instead of leaving an await hanging forever.
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
            }
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (loop.IsInLoop)
            {
                d(state);
                return;
            }
            loop.InvokeAsync(() => d(state)).GetAwaiter().GetResult();
        }

        public override SynchronizationContext CreateCopy() => this;
    }

    private sealed class EventLoopPipeScheduler(EventLoop loop) : PipeScheduler
    {
        public override void Schedule(Action<object?> action, object? state)
        {
            if (!loop.TryPost(action, state))
            {
                System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
            }
        }
    }
}
