using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>Handles events of type <typeparamref name="TEvent"/> (and, through contravariance, of any type assignable to it).</summary>
/// <typeparam name="TEvent">The event type, or a base class or interface of the events to receive.</typeparam>
public interface IEventListener<in TEvent>
{
    /// <summary>Handles one event. Complete synchronously when there is nothing to await: the router then allocates nothing.</summary>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">The publisher's token (or the dispatch loop's, for background delivery).</param>
    ValueTask HandleAsync(TEvent @event, CancellationToken cancellationToken);
}
