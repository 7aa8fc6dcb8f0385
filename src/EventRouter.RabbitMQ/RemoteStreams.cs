using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using EventRouter.Modules;
using RabbitMQ.Client;

namespace EventRouter.RabbitMQ;

/// <summary>The values of <see cref="RabbitMQHeaders.Stream"/> and the header helpers both sides of a stream share.</summary>
internal static class StreamMessages
{
    public const string Item = "item";
    public const string End = "end";
    public const string Error = "error";
    public const string Credit = "credit";
    public const string Cancel = "cancel";

    /// <summary>An integer header (AMQP integers of any width, or their decimal text); null when absent or unreadable.</summary>
    public static long? ReadLong(IDictionary<string, object?>? headers, string key)
    {
        if (headers is null || !headers.TryGetValue(key, out var value))
        {
            return null;
        }
        return value switch
        {
            long l => l,
            int i => i,
            short s => s,
            byte b => b,
            sbyte sb => sb,
            uint ui => ui,
            ushort us => us,
            byte[] bytes when long.TryParse(System.Text.Encoding.UTF8.GetString(bytes), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
    }
}

/// <summary>One message of a stream, as the reader's side of the bridge received it (body copied).</summary>
internal readonly record struct StreamMessage(ReadOnlyMemory<byte> Body, IDictionary<string, object?>? Headers, string? ReplyTo);

/// <summary>The bridge's view of a stream being read in this process: where its messages go.</summary>
internal abstract class RemoteStreamReader
{
    /// <summary>A message of the stream arrived (on the reply channel's consumer).</summary>
    public abstract void Deliver(StreamMessage message);

    /// <summary>No more messages can arrive (the reply channel closed, the bridge stopped).</summary>
    public abstract void Fail(Exception exception);
}

/// <summary>What <c>StreamAsync</c> of a client on the RabbitMQ transport returns: each enumeration is one remote stream.</summary>
internal sealed class RemoteStream<TRequest, TItem>(RabbitMQModuleTransport transport, TRequest request, CancellationToken cancellationToken)
    : IAsyncEnumerable<TItem>
{
    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken enumeratorToken = default) =>
        new RemoteStreamReader<TRequest, TItem>(transport, request, cancellationToken, enumeratorToken);
}

/// <summary>
/// The reading side of one remote stream. The first <c>MoveNextAsync</c> publishes the request with the reader's
/// credit (<see cref="RabbitMQOptions.ModuleStreamBufferCapacity"/>); items arrive on the bridge's direct reply-to
/// channel into an inbox that never holds more than that credit; each time the reader has taken half of it, it grants
/// the serving side as many again. Sequence numbers are checked; leaving early sends <c>cancel</c>.
/// </summary>
internal sealed class RemoteStreamReader<TRequest, TItem> : RemoteStreamReader, IAsyncEnumerator<TItem>
{
    private readonly RabbitMQModuleTransport _transport;
    private readonly TRequest _request;
    private readonly CancellationToken _callToken;
    private readonly CancellationToken _enumeratorToken;
    private readonly Channel<StreamMessage> _inbox = Channel.CreateUnbounded<StreamMessage>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });
    private readonly string _id = Guid.NewGuid().ToString("N");
    private readonly int _window;

    private CancellationTokenSource? _linked;
    private CancellationTokenRegistration _cancelRegistration;
    // The stream's span, from the first read to the reader's end; null when nothing listens.
    private Activity? _activity;
    private CancellationToken _token;
    private volatile string? _serverAddress;
    private long _started;
    private long _expected;
    private long _granted;
    private bool _opened;
    private bool _finished;
    private TItem _current = default!;

    public RemoteStreamReader(RabbitMQModuleTransport transport, TRequest request, CancellationToken callToken, CancellationToken enumeratorToken)
    {
        _transport = transport;
        _request = request;
        _callToken = callToken;
        _enumeratorToken = enumeratorToken;
        _window = transport.Bridge.Options.ModuleStreamBufferCapacity;
    }

    public TItem Current => _current;

    private RabbitMQBridge Bridge => _transport.Bridge;

    public override void Deliver(StreamMessage message) => _inbox.Writer.TryWrite(message);

    public override void Fail(Exception exception) => _inbox.Writer.TryComplete(exception);

    public async ValueTask<bool> MoveNextAsync()
    {
        try
        {
            if (!_opened)
            {
                await OpenAsync().ConfigureAwait(false);
            }
            while (!_finished)
            {
                if (_token.IsCancellationRequested)
                {
                    // A cancelled reader stops at once, buffered items or not, as in process.
                    await LeaveAsync().ConfigureAwait(false);
                    throw new OperationCanceledException(_callToken.IsCancellationRequested ? _callToken : _enumeratorToken);
                }
                if (_inbox.Reader.TryRead(out var message))
                {
                    if (await HandleAsync(message).ConfigureAwait(false) is { } more)
                    {
                        if (!more)
                        {
                            EndTrace(null);
                        }
                        return more;
                    }
                    continue;
                }
                await WaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            EndTrace(ex);
            throw;
        }
        EndTrace(null);
        return false;
    }

    /// <summary>
    /// Starts the stream's span. It is not made current: the reader's own code between items is not part of the
    /// stream. Its context travels with the request, so the serving side's spans continue its trace.
    /// </summary>
    private void StartTrace(string messageType)
    {
        var previous = Activity.Current;
        _activity = RabbitMQTelemetry.Start(Bridge.Server, "stream", "send", _transport.Queue, ActivityKind.Client, routingKey: _transport.Queue);
        if (_activity is not null)
        {
            _activity.SetTag("messaging.message.conversation_id", _id);
            _activity.SetTag("eventrouter.module", _transport.ModuleName);
            _activity.SetTag("eventrouter.message_type", messageType);
            Activity.Current = previous;
        }
    }

    /// <summary>Ends the stream's span once; a failure the reader gets marks it as an error.</summary>
    private void EndTrace(Exception? failure)
    {
        if (_activity is { } activity)
        {
            _activity = null;
            if (failure is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, failure.Message);
            }
            activity.Stop();
        }
    }

    private async Task OpenAsync()
    {
        _opened = true;
        if (_callToken.CanBeCanceled && _enumeratorToken.CanBeCanceled && _callToken != _enumeratorToken)
        {
            _linked = CancellationTokenSource.CreateLinkedTokenSource(_callToken, _enumeratorToken);
            _token = _linked.Token;
        }
        else
        {
            _token = _callToken.CanBeCanceled ? _callToken : _enumeratorToken;
        }
        if (_token.IsCancellationRequested)
        {
            throw new OperationCanceledException(_callToken.IsCancellationRequested ? _callToken : _enumeratorToken);
        }
        if (_token.CanBeCanceled)
        {
            // The serving side is told when the token fires, not at the next read: its handler ends at once.
            _cancelRegistration = _token.UnsafeRegister(static s => ((RemoteStreamReader<TRequest, TItem>)s!).OnCanceled(), this);
        }

        var moduleName = _transport.ModuleName;
        var messageType = WireName<TRequest>.Value;
        StartTrace(messageType);
        var body = JsonSerializer.SerializeToUtf8Bytes(_request, Bridge.GetModuleTypeInfo<TRequest>(moduleName));
        Bridge.CheckSize(messageType, body);
        _started = Stopwatch.GetTimestamp();
        var properties = _transport.RequestProperties(messageType, _id, _activity);
        properties.Headers![RabbitMQHeaders.StreamCredit] = _window;
        _granted = _window;
        Bridge.ExpectStream(_id, this);
        try
        {
            await _transport.PublishRequestAsync(properties, body, _started, _token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Finish();
            throw new ModuleRequestTimeoutException(moduleName, typeof(TRequest), _transport.Timeout);
        }
        catch
        {
            Finish();
            throw;
        }
    }

    /// <summary>True: an item is <see cref="Current"/>; false: the stream ended; null: the message was ignored.</summary>
    private async ValueTask<bool?> HandleAsync(StreamMessage message)
    {
        var moduleName = _transport.ModuleName;
        var headers = message.Headers;
        if (Deliveries.ReadString(headers, RabbitMQHeaders.Reason) is { } reason)
        {
            // The stream failed on the serving side (or its request could not be read there): it has ended there too.
            Finish();
            if (reason == ModuleQueueConsumer.ModuleStoppedReason)
            {
                throw new ModuleStoppedException(moduleName);
            }
            throw new RemoteModuleException(
                moduleName, typeof(TRequest), reason,
                Deliveries.ReadString(headers, RabbitMQHeaders.ExceptionType),
                Deliveries.ReadString(headers, RabbitMQHeaders.ExceptionMessage) ?? "(no message)");
        }
        var kind = Deliveries.ReadString(headers, RabbitMQHeaders.Stream);
        if (kind is not (StreamMessages.Item or StreamMessages.End))
        {
            Log.StreamControlMalformed(Bridge.Logger, "not an item or an end", kind, _id);
            Bridge.CountMalformedStreamMessage();
            return null;
        }
        var sequence = StreamMessages.ReadLong(headers, RabbitMQHeaders.StreamSequence) ?? -1;
        if (sequence != _expected)
        {
            await LeaveAsync().ConfigureAwait(false);
            throw new ModuleStreamGapException(moduleName, typeof(TRequest), _expected, sequence);
        }
        if (kind == StreamMessages.End)
        {
            Finish();
            return false;
        }
        _serverAddress ??= message.ReplyTo;
        _expected++;
        try
        {
            _current = JsonSerializer.Deserialize(message.Body.Span, Bridge.GetModuleTypeInfo<TItem>(moduleName))!;
        }
        catch
        {
            await LeaveAsync().ConfigureAwait(false);
            throw;
        }
        // Granted in halves: the serving side gets a burst of credit, not one message per item.
        var outstanding = _granted - _expected;
        if (outstanding <= _window / 2)
        {
            var grant = _window - outstanding;
            _granted += grant;
            await SendAsync(StreamMessages.Credit, grant).ConfigureAwait(false);
        }
        return true;
    }

    private async Task WaitAsync()
    {
        // Until the first item the request's deadline holds (as for a response); after it, each wait for the next
        // item is bounded by the call's timeout, so a serving process that died mid-stream cannot hold the reader.
        var first = _expected == 0;
        var timeout = first ? _transport.Timeout - Stopwatch.GetElapsedTime(_started) : _transport.Timeout;
        try
        {
            if (timeout <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }
            if (!await _inbox.Reader.WaitToReadAsync(_token).AsTask().WaitAsync(timeout).ConfigureAwait(false))
            {
                Finish();
                throw new ModuleConnectionLostException(_transport.ModuleName, typeof(TRequest), "the bridge stopped");
            }
        }
        catch (TimeoutException)
        {
            await LeaveAsync().ConfigureAwait(false);
            throw first
                ? new ModuleRequestTimeoutException(_transport.ModuleName, typeof(TRequest), _transport.Timeout)
                : new ModuleStreamTimeoutException(_transport.ModuleName, typeof(TRequest), _transport.Timeout, readerStalled: false);
        }
        catch (OperationCanceledException) when (_token.IsCancellationRequested)
        {
            await LeaveAsync().ConfigureAwait(false);
            throw new OperationCanceledException(_callToken.IsCancellationRequested ? _callToken : _enumeratorToken);
        }
        catch (ReplyLostException lost)
        {
            // Direct reply-to is not persistent: once the channel the items were addressed to closed, the rest of the
            // stream cannot arrive. Ended with the error rather than resumed.
            Finish();
            throw new ModuleConnectionLostException(_transport.ModuleName, typeof(TRequest), lost.Message);
        }
    }

    /// <summary>The reader leaves before the end: the serving side is told, so its handler ends at once.</summary>
    private async Task LeaveAsync()
    {
        if (_finished)
        {
            return;
        }
        Finish();
        await SendAsync(StreamMessages.Cancel, 0).ConfigureAwait(false);
    }

    private void OnCanceled()
    {
        if (_serverAddress is { } address)
        {
            _ = Bridge.SendStreamControlAsync(address, _id, StreamMessages.Cancel, 0);
        }
    }

    private Task SendAsync(string kind, long credit) =>
        // Before the first item the server's address is unknown; an item that arrives for a stream nobody reads any
        // more is answered with a cancel by the bridge instead.
        _serverAddress is { } address ? Bridge.SendStreamControlAsync(address, _id, kind, credit) : Task.CompletedTask;

    private void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        Bridge.ForgetStream(_id);
        _inbox.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        await _cancelRegistration.DisposeAsync().ConfigureAwait(false);
        if (_opened)
        {
            await LeaveAsync().ConfigureAwait(false);
        }
        EndTrace(null);
        _linked?.Dispose();
    }
}

/// <summary>
/// The serving side of one stream: the reader's address, the credit it granted, and the source its <c>cancel</c> (or
/// the loss of the channel) fires.
/// </summary>
internal sealed class ServedStream(string id, string readerAddress, int credit) : IDisposable
{
    private readonly SemaphoreSlim _credit = new(credit, int.MaxValue);

    public string Id { get; } = id;

    public string ReaderAddress { get; } = readerAddress;

    /// <summary>Cancelled when the reader sent <c>cancel</c> or can no longer be reached.</summary>
    public CancellationTokenSource ReaderGone { get; } = new();

    /// <summary>False when the credit would overflow (a reader granting more than it could ever read).</summary>
    public bool Grant(int items)
    {
        try
        {
            _credit.Release(items);
            return true;
        }
        catch (SemaphoreFullException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            // The stream ended while its credit was on the way.
            return true;
        }
    }

    /// <summary>Takes one item's credit; false when none came within <paramref name="timeout"/>.</summary>
    public Task<bool> TakeCreditAsync(TimeSpan timeout, CancellationToken cancellationToken) => _credit.WaitAsync(timeout, cancellationToken);

    public bool TryTakeCredit() => _credit.Wait(0);

    public void Leave()
    {
        try
        {
            // The handler's code reacting to its token must not run on the consumer's dispatch thread.
            _ = ReaderGone.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The stream already ended.
        }
    }

    public void Dispose()
    {
        ReaderGone.Dispose();
        _credit.Dispose();
    }
}

/// <summary>A stream request type of a served module: opens the stream through the module's local client.</summary>
internal abstract class RemoteStreamHandler : RemoteHandler
{
    public override bool IsRequest => true;

    public override ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A stream request is opened, not handled.");

    /// <summary>
    /// Deserializes the body (synchronously: a body that cannot be read throws <see cref="MalformedMessageException"/>
    /// here) and opens the stream; nothing is sent to the module until the first <c>MoveNextAsync</c>.
    /// </summary>
    public abstract IServedItems Open(ReadOnlyMemory<byte> body, CancellationToken cancellationToken);
}

/// <summary>The items of one served stream, each serialized when taken.</summary>
internal interface IServedItems : IAsyncDisposable
{
    ValueTask<bool> MoveNextAsync();

    byte[] SerializeCurrent();
}

internal sealed class RemoteStreamHandler<TRequest, TItem>(
    Func<TRequest, CancellationToken, IAsyncEnumerable<TItem>> open, JsonTypeInfo<TRequest> requestInfo, JsonTypeInfo<TItem> itemInfo) : RemoteStreamHandler
{
    public override IServedItems Open(ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        new Items(open(Read(body.Span, requestInfo), cancellationToken).GetAsyncEnumerator(cancellationToken), itemInfo);

    private sealed class Items(IAsyncEnumerator<TItem> items, JsonTypeInfo<TItem> info) : IServedItems
    {
        public ValueTask<bool> MoveNextAsync() => items.MoveNextAsync();

        public byte[] SerializeCurrent() => JsonSerializer.SerializeToUtf8Bytes(items.Current, info);

        public ValueTask DisposeAsync() => items.DisposeAsync();
    }
}
