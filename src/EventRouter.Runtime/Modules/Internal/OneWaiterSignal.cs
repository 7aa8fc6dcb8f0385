using System;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace EventRouter.Modules;

/// <summary>
/// A reusable signal for one waiter at a time (a module's loop waiting for its gate, a stream's producer waiting for
/// room): waiting on it allocates nothing. The waiter continues asynchronously, never on the thread that sets it, so
/// the module's code never runs on a caller's or reader's thread.
/// </summary>
internal sealed class OneWaiterSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    public ValueTask Prepare()
    {
        _core.Reset();
        return new ValueTask(this, _core.Version);
    }

    public void Set() => _core.SetResult(true);

    public void GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
