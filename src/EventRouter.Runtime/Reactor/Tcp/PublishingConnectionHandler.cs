using System;
using System.Buffers;
using System.Threading.Tasks;

namespace EventRouter.Reactor;

/// <summary>
/// Turns the lifecycle into events for the publisher and, when both are set, calls the handler first. Listeners get
/// <see cref="TcpConnection.Closing"/> as their token, so a graceful stop can cut a long listener short.
/// </summary>
internal sealed class PublishingConnectionHandler(IConnectionHandler? inner, IEventPublisher publisher) : IConnectionHandler
{
    public ValueTask OnOpenedAsync(TcpConnection connection)
    {
        if (inner is null)
        {
            return publisher.PublishAsync(new ConnectionOpened(connection), connection.Closing);
        }
        var first = inner.OnOpenedAsync(connection);
        return first.IsCompletedSuccessfully ? publisher.PublishAsync(new ConnectionOpened(connection), connection.Closing) : Then(first, connection);

        async ValueTask Then(ValueTask pending, TcpConnection c)
        {
            await pending;
            await publisher.PublishAsync(new ConnectionOpened(c), c.Closing);
        }
    }

    public ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame)
    {
        if (inner is null)
        {
            return publisher.PublishAsync(new FrameReceived(connection, frame), connection.Closing);
        }
        var first = inner.OnFrameAsync(connection, frame);
        return first.IsCompletedSuccessfully ? publisher.PublishAsync(new FrameReceived(connection, frame), connection.Closing) : Then(first, connection, frame);

        async ValueTask Then(ValueTask pending, TcpConnection c, ReadOnlySequence<byte> f)
        {
            await pending;
            await publisher.PublishAsync(new FrameReceived(c, f), c.Closing);
        }
    }

    public async ValueTask OnClosedAsync(TcpConnection connection, CloseReason reason, Exception? exception)
    {
        // Both always run: a failing handler must not hide the close from listeners.
        Exception? failure = null;
        if (inner is not null)
        {
            try
            {
                await inner.OnClosedAsync(connection, reason, exception);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }
        await publisher.PublishAsync(new ConnectionClosed(connection, reason, exception));
        if (failure is not null)
        {
            throw failure;
        }
    }
}
