using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;

namespace EventRouter.Tests.Reactor;

/// <summary>Records every event published to it, as the generated dispatcher would deliver them to listeners.</summary>
internal sealed class RecordingPublisher : IEventPublisher
{
    public ConcurrentQueue<object> Events { get; } = new();

    public Action<object>? OnEvent { get; set; }

    public ValueTask PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken = default)
    {
        Events.Enqueue(@event!);
        OnEvent?.Invoke(@event!);
        return default;
    }

    public ValueTask PublishAsync(object @event, CancellationToken cancellationToken = default) => PublishAsync<object>(@event, cancellationToken);
}

/// <summary>A connection handler that echoes frames and records the lifecycle.</summary>
internal class EchoHandler : IConnectionHandler
{
    public ConcurrentQueue<(TcpConnection Connection, CloseReason Reason, Exception? Exception)> Closed { get; } = new();

    public ConcurrentQueue<TcpConnection> Opened { get; } = new();

    public TaskCompletionSource<(TcpConnection Connection, CloseReason Reason, Exception? Exception)> FirstClose { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int OffLoopCalls;

    public virtual ValueTask OnOpenedAsync(TcpConnection connection)
    {
        CheckLoop(connection);
        Opened.Enqueue(connection);
        return default;
    }

    public virtual ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame)
    {
        CheckLoop(connection);
        return connection.SendAsync(frame);
    }

    public virtual ValueTask OnClosedAsync(TcpConnection connection, CloseReason reason, Exception? exception)
    {
        CheckLoop(connection);
        Closed.Enqueue((connection, reason, exception));
        FirstClose.TrySetResult((connection, reason, exception));
        return default;
    }

    protected void CheckLoop(TcpConnection connection)
    {
        if (!connection.Loop.IsInLoop)
        {
            Interlocked.Increment(ref OffLoopCalls);
        }
    }
}

internal static class Net
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(Timeout);
        return socket;
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).AsTask().WaitAsync(Timeout);
            data = data.Slice(sent);
        }
    }

    public static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).AsTask().WaitAsync(Timeout);
            if (n == 0)
            {
                throw new InvalidOperationException($"Connection closed after {read} of {count} bytes.");
            }
            read += n;
        }
        return buffer;
    }

    /// <summary>Reads until the peer closes (0 bytes or reset); returns the bytes read before that.</summary>
    public static async Task<int> ReadUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        var total = 0;
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Timeout);
                if (n == 0)
                {
                    return total;
                }
                total += n;
            }
        }
        catch (SocketException)
        {
            return total;
        }
    }

    public static byte[] LengthPrefixed(byte[] payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }

    public static List<byte[]> RandomPayloads(Random random, int count, int maxSize)
    {
        var list = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var payload = new byte[random.Next(0, maxSize + 1)];
            random.NextBytes(payload);
            list.Add(payload);
        }
        return list;
    }
}
