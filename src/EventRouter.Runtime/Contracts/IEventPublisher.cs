using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>Publishes events to every listener of their type and waits for all of them.</summary>
/// <remarks>
/// The generated <c>EventRouter.Generated.EventDispatcher</c> implements this interface and adds a typed
/// <c>PublishAsync</c> overload per known event type; inject the concrete class for the fastest path.
/// </remarks>
public interface IEventPublisher
{
    /// <summary>
    /// Runs every listener of the event's runtime type, in a stable order. A failing listener never stops the others;
    /// when all have run, failures are thrown together as one <see cref="EventPublishException"/>.
    /// </summary>
    /// <exception cref="System.ArgumentNullException"><paramref name="event"/> is null.</exception>
    /// <exception cref="EventPublishException">One or more listeners failed.</exception>
    /// <exception cref="System.OperationCanceledException">The token was cancelled between listeners.</exception>
#pragma warning disable RS0026 // Both overloads take an optional token: a typed argument binds to the generic one, and only
    // an object-typed one to the other, so the pair is never ambiguous.
    ValueTask PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken = default);

    /// <summary>Publishes an event whose type is known only at run time (for example, a deserialized message).</summary>
    /// <inheritdoc cref="PublishAsync{TEvent}(TEvent, CancellationToken)"/>
    ValueTask PublishAsync(object @event, CancellationToken cancellationToken = default);
#pragma warning restore RS0026
}
