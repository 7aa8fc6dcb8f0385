using System.Threading;

namespace EventRouter.Reactor;

public sealed partial class EventLoop
{
    /// <summary>True while the work item that the watchdog reported as blocked is still running.</summary>
    internal bool IsBlockedNow => Volatile.Read(ref _busy) != 0 && Volatile.Read(ref _watchReported);
}
