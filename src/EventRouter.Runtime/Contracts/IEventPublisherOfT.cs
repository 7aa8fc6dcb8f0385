using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>Publishes one event type: the typed publish of the generated dispatcher, through an interface.</summary>
/// <typeparam name="TEvent">An event type the generator knows (one with a compile-time route).</typeparam>
/// <remarks>
/// The generated <c>EventDispatcher</c> implements it for every event type it routes, and the generated
/// <c>AddEventRouter()</c> registers it, so a class can take <c>IEventPublisher&lt;OrderPlaced&gt;</c> from DI. A call
/// is one interface call into the typed method, with no generic virtual call or type test on the way: the fastest
/// way to publish through an injected abstraction.
/// </remarks>
public interface IEventPublisher<TEvent>
{
    /// <summary>
    /// Runs every listener of the event's runtime type, in a stable order, as <see cref="IEventPublisher"/> does: a
    /// failing listener never stops the others, and failures are thrown together as one <see cref="EventPublishException"/>.
    /// </summary>
    /// <exception cref="System.ArgumentNullException"><paramref name="event"/> is null.</exception>
    /// <exception cref="EventPublishException">One or more listeners failed.</exception>
    /// <exception cref="System.OperationCanceledException">The token was cancelled before or between listeners.</exception>
    ValueTask PublishAsync(TEvent @event, CancellationToken cancellationToken = default);
}
