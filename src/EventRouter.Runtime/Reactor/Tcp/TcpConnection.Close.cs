using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace EventRouter.Reactor;

public sealed partial class TcpConnection
{
    /// <summary>Closes the connection with <see cref="Reactor.CloseReason.LocalClose"/>: queued sends are flushed first.</summary>
    public void Close() => RequestClose(Reactor.CloseReason.LocalClose, null);

    /// <summary>Sets the close reason (first caller wins) and wakes the process loop; an abortive reason drops the socket at once.</summary>
    internal bool RequestClose(CloseReason reason, Exception? exception)
    {
        if (Volatile.Read(ref _close) is not null || Interlocked.CompareExchange(ref _close, new CloseInfo(reason, exception), null) is not null)
        {
            return false;
        }
        if (reason is Reactor.CloseReason.ConnectionReset or Reactor.CloseReason.SendBufferOverflow)
        {
            Abort(reset: reason == Reactor.CloseReason.SendBufferOverflow);
        }
        _input.Reader.CancelPendingRead();
        CancelClosingToken();
        return true;
    }

    private void CancelClosingToken()
    {
        try
        {
            Volatile.Read(ref _closing)?.Cancel();
        }
        catch (AggregateException)
        {
            // A user callback threw; closing must go on regardless.
        }
    }

    /// <summary>Drops the socket now; pending sends are discarded. Used on faults and when a stop times out.</summary>
    internal void Abort(bool reset)
    {
        RequestClose(Reactor.CloseReason.ServerStopping, null);
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
        try
        {
            if (reset)
            {
                // RST: do not let the kernel keep trying to deliver to a peer we have given up on.
                _socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception)
        {
            // The socket may already be gone; disposing is all that matters.
        }
        _socket.Dispose();
    }

    private async Task CloseCoreAsync()
    {
        var (reason, closeException) = Volatile.Read(ref _close)!;
        _idleTimer?.Cancel();
        await _input.Reader.CompleteAsync();
        lock (_sendLock)
        {
            if (!_outputCompleted)
            {
                _outputCompleted = true;
                _output.Writer.Complete();
            }
        }
        if (_sendTask is not null && Volatile.Read(ref _aborted) == 0)
        {
            try
            {
                await _sendTask.WaitAsync(_options.CloseTimeout);
            }
            catch (TimeoutException)
            {
                // The peer is not taking our last bytes; the socket is dropped below either way.
            }
        }
        Abort(reset: false);
        if (_receiveTask is not null)
        {
            await _receiveTask;
        }

        ReactorMetrics.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("reason", ReasonNames[(int)reason]));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            // Guarded here, not only inside the generated method: formatting the endpoint would allocate per close.
            ReactorLog.ConnectionClosed(_logger, Id, RemoteEndPoint?.ToString(), reason, closeException);
        }
        try
        {
            var closed = ConnectionTelemetry.IsEnabled
                ? OnClosedTracedAsync(reason, closeException)
                : _handler.OnClosedAsync(this, reason, closeException);
            if (closed.IsCompletedSuccessfully)
            {
                closed.GetAwaiter().GetResult();
            }
            else
            {
                await closed;
            }
        }
        catch (Exception ex)
        {
            ReactorLog.ClosedHandlerFailed(_logger, Id, ex);
        }
        _onClosed?.Invoke(this);
        _completion.TrySetResult();
    }

    private async ValueTask OnClosedTracedAsync(CloseReason reason, Exception? closeException)
    {
        using var activity = ConnectionTelemetry.Start(this, ConnectionTelemetry.Closed);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("eventrouter.close_reason", ReasonNames[(int)reason]);
            if (closeException is not null)
            {
                // The close's cause, not a failure of this span: an error.type tag, not an error status.
                activity.SetTag("error.type", closeException.GetType().FullName);
            }
        }
        try
        {
            await _handler.OnClosedAsync(this, reason, closeException);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }

    private static readonly string[] ReasonNames = BuildReasonNames();

    private sealed record CloseInfo(CloseReason Reason, Exception? Exception);

    private static string[] BuildReasonNames()
    {
        var names = new string[(int)Reactor.CloseReason.ServerStopping + 1];
        for (var i = 1; i < names.Length; i++)
        {
            names[i] = ((CloseReason)i).ToString();
        }
        names[0] = "None";
        return names;
    }
}
