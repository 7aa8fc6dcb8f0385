using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>Subscribes listeners at run time, next to the compile-time dispatch table.</summary>
/// <remarks>
/// A subscription receives every published event assignable to <c>TEvent</c>, after the compile-time listeners,
/// with the same isolation and failure reporting. Subscribing never blocks a publish in progress.
/// </remarks>
public interface IEventSubscriber
{
    /// <summary>Subscribes a listener instance until the returned handle is disposed.</summary>
    IDisposable Subscribe<TEvent>(IEventListener<TEvent> listener);

    /// <summary>Subscribes a delegate until the returned handle is disposed.</summary>
    /// <param name="handler">Called with each event and the publisher's token.</param>
    /// <param name="name">The name used in failures and logs; defaults to <c>subscription:&lt;event type&gt;</c>.</param>
    IDisposable Subscribe<TEvent>(Func<TEvent, CancellationToken, ValueTask> handler, string? name = null);
}
