using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

public abstract partial class ModuleServer
{
    // Cancelled by the first stop of either mode: a stream may never end by itself, so stopping does not wait for one.
    private readonly CancellationTokenSource _streamStopSource = new();

    /// <summary>Fires when the server starts stopping: every queued and running stream ends with <see cref="ModuleStoppedException"/>.</summary>
    internal CancellationToken StreamStopToken => _streamStopSource.Token;

    internal bool IsStopping => Volatile.Read(ref _state) >= Stopping;

    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>A stream request: nothing is sent until the result is enumerated, and each enumeration is one stream.</summary>
    internal IAsyncEnumerable<TItem> Stream<TRequest, TItem>(IStreamRequestHandler<TRequest, TItem> handler, TRequest request, CancellationToken cancellationToken) =>
        new ModuleStream<TRequest, TItem>(this, handler, request, cancellationToken);

    /// <summary>
    /// Queues a stream for the loop. Streams never run inline: the module produces on its loop while the caller reads,
    /// with the stream's buffer between them.
    /// </summary>
    internal ValueTask EnqueueStreamAsync(ModuleOperation op, Type requestType, CancellationToken cancellationToken)
    {
        var message = new ModuleMessage(op);
        if (_queue.TryWrite(in message))
        {
            return default;
        }
        if (Options.FullMode == ModuleFullMode.Wait && !IsStopping)
        {
            return WriteWhenRoomAsync(message, requestType, cancellationToken);
        }
        return ValueTask.FromException(RejectionException());
    }

    private void EndStreams()
    {
        if (!_streamStopSource.IsCancellationRequested)
        {
            // The callbacks only mark their streams ended and wake their parties (asynchronously): cheap and non-throwing.
            _streamStopSource.Cancel();
        }
    }
}
