using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

public sealed partial class EventLoop
{
    /// <summary>
    /// Runs an action on the loop and completes when it has run. Cancelling <paramref name="cancellationToken"/> before
    /// the loop reaches the action skips it and cancels the task; once it runs, it runs to the end.
    /// </summary>
    /// <param name="action">The action.</param>
    /// <param name="cancellationToken">Cancels the wait for the loop.</param>
    /// <returns>A task that completes when the action has run (with its exception, if it threw), or is cancelled.</returns>
    public Task InvokeAsync(Action action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        return InvokeAsync(() =>
        {
            action();
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Runs a function on the loop and returns its result. Cancelling <paramref name="cancellationToken"/> before the
    /// loop reaches the function skips it and cancels the task; once it runs, it runs to the end.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="func">The function.</param>
    /// <param name="cancellationToken">Cancels the wait for the loop.</param>
    /// <returns>The function's result, or a cancelled task.</returns>
    public Task<T> InvokeAsync<T>(Func<T> func, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(func);
        if (!cancellationToken.CanBeCanceled)
        {
            return InvokeAsync(func);
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        var invocation = new CancellableInvocation<T>(func, cancellationToken);
        Post(static s => ((CancellableInvocation<T>)s!).Run(), invocation);
        return invocation.Task;
    }

    /// <summary>
    /// Starts an asynchronous function on the loop; its awaits resume on the loop. Cancelling
    /// <paramref name="cancellationToken"/> before the loop starts it skips it and cancels the task; once started, the
    /// function decides (pass it the token yourself).
    /// </summary>
    /// <param name="func">The function.</param>
    /// <param name="cancellationToken">Cancels the wait for the loop.</param>
    /// <returns>A task that completes when the function's task does, or is cancelled.</returns>
    public Task InvokeAsync(Func<Task> func, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(func);
        return InvokeAsync<Task>(func, cancellationToken).Unwrap();
    }

    /// <summary>A queued call that the token may cancel until the loop starts it; exactly one of the two wins.</summary>
    private sealed class CancellableInvocation<T> : TaskCompletionSource<T>
    {
        private const int Pending = 0, Started = 1, Cancelled = 2;
        private readonly Func<T> _func;
        private readonly CancellationTokenRegistration _registration;
        private int _state;

        public CancellableInvocation(Func<T> func, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _func = func;
            _registration = cancellationToken.UnsafeRegister(static (s, token) => ((CancellableInvocation<T>)s!).Cancel(token), this);
        }

        public void Run()
        {
            if (Interlocked.CompareExchange(ref _state, Started, Pending) != Pending)
            {
                return;
            }
            _registration.Dispose();
            try
            {
                TrySetResult(_func());
            }
            catch (Exception ex)
            {
                TrySetException(ex);
            }
        }

        private void Cancel(CancellationToken token)
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Pending) == Pending)
            {
                TrySetCanceled(token);
            }
        }
    }
}
