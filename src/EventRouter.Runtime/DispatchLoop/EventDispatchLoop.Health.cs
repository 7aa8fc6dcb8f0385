namespace EventRouter.DispatchLoop;

public sealed partial class EventDispatchLoop
{
    /// <summary>True once <see cref="Start"/> has run (the workers exist).</summary>
    internal bool IsStarted => _workers is not null;

    /// <summary>True once a stop has begun.</summary>
    internal bool IsStopping => _stopping;
}
