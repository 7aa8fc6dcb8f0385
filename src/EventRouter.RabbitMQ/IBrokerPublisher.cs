using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.RabbitMQ;

/// <summary>Publishes events to the broker, to every service whose listeners handle them.</summary>
public interface IBrokerPublisher
{
    /// <summary>
    /// Publishes an event to its exchange and waits for the broker's confirm. While the broker is unreachable or the
    /// connection is recovering it keeps trying, up to <see cref="RabbitMQOptions.PublishTimeout"/>, then throws a
    /// <see cref="BrokerPublishException"/>: a publish that returns was confirmed, never assumed.
    /// </summary>
    /// <typeparam name="TEvent">The event type; its runtime type is what is serialized and routed.</typeparam>
    /// <param name="event">The event; its name must be opted in with <see cref="RabbitMQOptions.CrossBroker(string[])"/>.</param>
    /// <param name="cancellationToken">Stops waiting; the message may still have been delivered.</param>
    /// <returns>The message id (the event's id, or a new one when the event has none).</returns>
    ValueTask<string> PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken = default)
        where TEvent : notnull;

    /// <summary>
    /// Publishes an event that the broker delivers to its listeners' queues after <paramref name="delay"/>, without
    /// the delayed-message plugin: the message waits in a durable queue whose message TTL is the delay (one per
    /// distinct delay, in whole milliseconds) and is then dead-lettered into the event's exchange. Confirmed like
    /// <see cref="PublishAsync{TEvent}(TEvent, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="TEvent">The event type; its runtime type is what is serialized and routed.</typeparam>
    /// <param name="event">The event; its name must be opted in with <see cref="RabbitMQOptions.CrossBroker(string[])"/>.</param>
    /// <param name="delay">How long the broker holds it; zero publishes it at once. Rounded up to whole milliseconds.</param>
    /// <param name="cancellationToken">Stops waiting; the message may still have been accepted.</param>
    /// <returns>The message id (the event's id, or a new one when the event has none).</returns>
    ValueTask<string> PublishDelayedAsync<TEvent>(TEvent @event, TimeSpan delay, CancellationToken cancellationToken = default)
        where TEvent : notnull;
}
