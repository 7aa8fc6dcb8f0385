using System;
using System.Buffers.Binary;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;

namespace EventRouter.Tests.Reactor;

public sealed class TcpServerTests : IAsyncDisposable
{
    private readonly EventLoopGroup _group = new(2);
    private readonly List<TcpServer> _servers = new();
    private readonly List<Socket> _clients = new();

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        foreach (var server in _servers)
        {
            await server.StopAsync();
        }
        await _group.DisposeAsync();
    }

    private TcpServer StartServer(TcpServerOptions options)
    {
        var server = new TcpServer(_group, options);
        server.Start();
        _servers.Add(server);
        return server;
    }

    private async Task<Socket> ConnectAsync(TcpServer server)
    {
        var socket = await Net.ConnectAsync(server.LocalEndPoint);
        _clients.Add(socket);
        return socket;
    }

    /// <summary>Sends <paramref name="stream"/> in random-size pieces while reading the same number of bytes back.</summary>
    private static async Task<byte[]> SendFragmentedAndReadBackAsync(Socket client, byte[] stream, Random random, int expectedBack)
    {
        var receive = Net.ReceiveExactlyAsync(client, expectedBack);
        var offset = 0;
        while (offset < stream.Length)
        {
            var size = Math.Min(stream.Length - offset, random.Next(1, 3000));
            await Net.SendAllAsync(client, stream.AsMemory(offset, size));
            offset += size;
        }
        return await receive;
    }

    [Fact]
    public async Task Echo_LengthPrefixedFramesFragmentedAndCoalesced_EchoedExactly()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(64 * 1024), Handler = handler });
        var client = await ConnectAsync(server);
        var random = new Random(42);
        var stream = Net.RandomPayloads(random, 400, 5000).SelectMany(Net.LengthPrefixed).ToArray();

        var echoed = await SendFragmentedAndReadBackAsync(client, stream, random, stream.Length);

        Assert.Equal(stream, echoed);
        Assert.Equal(0, handler.OffLoopCalls);
    }

    [Fact]
    public async Task Echo_LineDelimitedFramesFragmentedAndCoalesced_EchoedExactly()
    {
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(4096), Handler = new EchoHandler() });
        var client = await ConnectAsync(server);
        var random = new Random(7);
        var lines = Enumerable.Range(0, 500)
            .Select(_ => new string(Enumerable.Range(0, random.Next(0, 3000)).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray()))
            .ToArray();
        var stream = Encoding.ASCII.GetBytes(string.Concat(lines.Select(l => l + "\n")));

        var echoed = await SendFragmentedAndReadBackAsync(client, stream, random, stream.Length);

        Assert.Equal(stream, echoed);
    }

    [Fact]
    public async Task Echo_LineDelimitedWithCarriageReturn_DelimiterStripped()
    {
        var frames = new ConcurrentQueue<string>();
        var got = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler((c, f) =>
        {
            frames.Enqueue(Encoding.ASCII.GetString(f.ToArray()));
            if (frames.Count == 2)
            {
                got.SetResult();
            }
            return default;
        });
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(), Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, Encoding.ASCII.GetBytes("hello\r\nworld\n"));
        await got.Task.WaitAsync(Net.Timeout);

        Assert.Equal(new[] { "hello", "world" }, frames);
    }

    [Fact]
    public async Task Echo_RawStream_EchoedExactly()
    {
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.Raw(), Handler = new EchoHandler() });
        var client = await ConnectAsync(server);
        var random = new Random(3);
        var stream = new byte[512 * 1024];
        random.NextBytes(stream);

        var echoed = await SendFragmentedAndReadBackAsync(client, stream, random, stream.Length);

        Assert.Equal(stream, echoed);
    }

    [Fact]
    public async Task OversizedFrame_ClosesThatConnectionWithFrameTooLarge_ServerKeepsServing()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(1024), Handler = handler });
        var bad = await ConnectAsync(server);
        var good = await ConnectAsync(server);

        await Net.SendAllAsync(bad, Net.LengthPrefixed(new byte[2000]));
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);
        Assert.Equal(CloseReason.FrameTooLarge, closed.Reason);
        Assert.Equal(0, await Net.ReadUntilClosedAsync(bad));

        var frame = Net.LengthPrefixed(Encoding.ASCII.GetBytes("still here"));
        await Net.SendAllAsync(good, frame);
        Assert.Equal(frame, await Net.ReceiveExactlyAsync(good, frame.Length));
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task GarbageLengthPrefix_ClosedWithFrameTooLargeBeforeBuffering()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(64 * 1024), Handler = handler });
        var client = await ConnectAsync(server);

        // 0xFFFFFFF0 bytes announced: the server must refuse at once rather than wait for 4 GB.
        await Net.SendAllAsync(client, new byte[] { 0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3 });
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.FrameTooLarge, closed.Reason);
        Assert.True(closed.Connection.ReceivedBytes <= 7);
        await Eventually.WaitUntilAsync(() => server.ConnectionCount == 0);
    }

    [Fact]
    public async Task LineWithoutDelimiterPastMax_ClosedWithFrameTooLarge()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(100), Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, Encoding.ASCII.GetBytes(new string('x', 500)));
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.FrameTooLarge, closed.Reason);
    }

    [Fact]
    public async Task CustomCodecRejectsBytes_ClosedWithInvalidFrame()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = new AsciiOnlyCodec(), Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, new byte[] { (byte)'o', (byte)'k', 0xC3 });
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.InvalidFrame, closed.Reason);
    }

    [Fact]
    public async Task ClientClosesMidFrame_ClosedWithIncompleteFrame()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, Net.LengthPrefixed(new byte[100]).AsMemory(0, 50));
        client.Shutdown(SocketShutdown.Send);
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.IncompleteFrame, closed.Reason);
    }

    [Fact]
    public async Task ClientClosesBetweenFrames_ClosedWithRemoteClosed()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = handler });
        var client = await ConnectAsync(server);
        var frame = Net.LengthPrefixed(new byte[10]);

        await Net.SendAllAsync(client, frame);
        await Net.ReceiveExactlyAsync(client, frame.Length);
        client.Shutdown(SocketShutdown.Send);
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.RemoteClosed, closed.Reason);
        Assert.Null(closed.Exception);
    }

    [Fact]
    public async Task ClientResetsMidFrame_ClosedWithConnectionResetAndException()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, Net.LengthPrefixed(new byte[100]).AsMemory(0, 50));
        await Eventually.WaitUntilAsync(() => server.Connections.Sum(c => c.ReceivedBytes) == 50);
        client.LingerState = new LingerOption(true, 0);
        client.Close(); // RST

        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);
        Assert.Equal(CloseReason.ConnectionReset, closed.Reason);
        Assert.NotNull(closed.Exception);
        await Eventually.WaitUntilAsync(() => server.ConnectionCount == 0);
    }

    [Fact]
    public async Task PeerNeverReads_DisconnectedWithSendBufferOverflow_MemoryBounded()
    {
        const int MaxSend = 256 * 1024;
        long maxPending = 0;
        var chunk = new byte[16 * 1024];
        var handler = new FloodHandler(chunk, c => maxPending = Math.Max(maxPending, c.PendingSendBytes));
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.Raw(), Handler = handler, MaxSendBufferSize = MaxSend });
        var client = await ConnectAsync(server);
        client.ReceiveBufferSize = 4096;

        await Net.SendAllAsync(client, new byte[] { 1 }); // start the flood; never read
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.SendBufferOverflow, closed.Reason);
        Assert.InRange(maxPending, 1, MaxSend);
        Assert.IsType<ConnectionClosedException>(handler.SendFailure);
        await Eventually.WaitUntilAsync(() => server.ConnectionCount == 0);
    }

    [Fact]
    public async Task SlowHandler_PausesReading_ReceivedBytesBoundedUntilReleased()
    {
        const int Pause = 64 * 1024;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long handled = 0;
        var handler = new DelegateHandler(async (c, f) =>
        {
            var length = f.Length;
            await gate.Task;
            handled += length;
        });
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.Raw(4096), Handler = handler, ReceivePauseThreshold = Pause });
        var client = await ConnectAsync(server);
        client.SendBufferSize = 32 * 1024;
        client.Blocking = false;

        var chunk = new byte[8192];
        long sent = 0;
        var blockedRounds = 0;
        while (sent < 16 * 1024 * 1024 && blockedRounds < 20)
        {
            try
            {
                sent += client.Send(chunk);
                blockedRounds = 0;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
            {
                blockedRounds++;
                await Task.Delay(20);
            }
        }
        var connection = Assert.Single(server.Connections);
        var receivedWhilePaused = connection.ReceivedBytes;

        // The peer was stopped by TCP flow control while the server held at most the pause threshold (+ one read).
        Assert.True(receivedWhilePaused <= Pause + 8192, $"received {receivedWhilePaused} while the handler was blocked");
        Assert.True(sent > receivedWhilePaused);

        gate.SetResult();
        client.Blocking = true;
        await Eventually.WaitUntilAsync(() => connection.ReceivedBytes == sent);
        await Eventually.WaitUntilAsync(async () => await connection.Loop.InvokeAsync(() => handled) == sent);
    }

    [Fact]
    public async Task ThousandConcurrentConnections_AllEchoCorrectly()
    {
        const int Connections = 1000;
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = new EchoHandler() });

        var clients = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => ConnectAsync(server)));
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            for (var round = 0; round < 3; round++)
            {
                var frame = Net.LengthPrefixed(Encoding.ASCII.GetBytes($"client {i} round {round}"));
                await Net.SendAllAsync(client, frame);
                Assert.Equal(frame, await Net.ReceiveExactlyAsync(client, frame.Length));
            }
        }));

        Assert.Equal(Connections, server.ConnectionCount);
        var perLoop = server.Connections.GroupBy(c => c.Loop).Select(g => g.Count()).ToArray();
        Assert.Equal(2, perLoop.Length);
        Assert.All(perLoop, n => Assert.Equal(Connections / 2, n));
    }

    [Fact]
    public async Task HandlerThrows_ClosesOnlyThatConnectionWithHandlerFailed()
    {
        var handler = new ThrowingEchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(), Handler = handler });
        var bad = await ConnectAsync(server);
        var good = await ConnectAsync(server);

        await Net.SendAllAsync(bad, Encoding.ASCII.GetBytes("boom\n"));
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);
        Assert.Equal(CloseReason.HandlerFailed, closed.Reason);
        Assert.IsType<InvalidOperationException>(closed.Exception);
        Assert.Equal(0, await Net.ReadUntilClosedAsync(bad));

        await Net.SendAllAsync(good, Encoding.ASCII.GetBytes("fine\n"));
        Assert.Equal("fine\n", Encoding.ASCII.GetString(await Net.ReceiveExactlyAsync(good, 5)));
    }

    [Fact]
    public async Task HandlerThrowsAsynchronously_ClosesWithHandlerFailed()
    {
        var handler = new DelegateHandler(async (c, f) =>
        {
            await Task.Yield();
            throw new InvalidDataException("late");
        });
        var server = StartServer(new TcpServerOptions { Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, new byte[] { 1 });
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.HandlerFailed, closed.Reason);
        Assert.IsType<InvalidDataException>(closed.Exception);
    }

    [Fact]
    public async Task StopAsync_UnderLoad_ClosesEveryConnectionWithServerStopping()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = handler });
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ConnectAsync(server)));
        var echoes = 0;
        var stop = new CancellationTokenSource();
        var load = clients.Select(client => Task.Run(async () =>
        {
            var frame = Net.LengthPrefixed(new byte[200]);
            try
            {
                while (true)
                {
                    await Net.SendAllAsync(client, frame);
                    await Net.ReceiveExactlyAsync(client, frame.Length);
                    Interlocked.Increment(ref echoes);
                }
            }
            catch (Exception ex) when (ex is SocketException or InvalidOperationException or ObjectDisposedException)
            {
                // The server closed the connection: expected.
            }
        })).ToArray();

        await Eventually.WaitUntilAsync(() => Volatile.Read(ref echoes) >= 200);
        await server.StopAsync().WaitAsync(Net.Timeout);
        await Task.WhenAll(load).WaitAsync(Net.Timeout);

        Assert.Equal(0, server.ConnectionCount);
        Assert.Equal(20, handler.Closed.Count);
        Assert.All(handler.Closed, c => Assert.Equal(CloseReason.ServerStopping, c.Reason));
        await Assert.ThrowsAnyAsync<SocketException>(() => Net.ConnectAsync(server.LocalEndPoint));
    }

    [Fact]
    public async Task StopAsync_InFlightHandler_FinishesAndItsReplyIsFlushedBeforeClose()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = new ConcurrentQueue<string>();
        var handler = new DelegateHandler(async (c, f) =>
        {
            var copy = f.ToArray();
            entered.SetResult();
            await gate.Task;
            await c.SendAsync(copy);
            events.Enqueue("handled");
        });
        handler.OnClosed = r => events.Enqueue("closed:" + r);
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(), Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, Encoding.ASCII.GetBytes("last words\n"));
        await entered.Task.WaitAsync(Net.Timeout);
        var stopping = server.StopAsync();
        Assert.False(stopping.IsCompleted);
        gate.SetResult();
        await stopping.WaitAsync(Net.Timeout);

        Assert.Equal(new[] { "handled", "closed:ServerStopping" }, events);
        Assert.Equal("last words\n", Encoding.ASCII.GetString(await Net.ReceiveExactlyAsync(client, 11)));
        Assert.Equal(0, await Net.ReadUntilClosedAsync(client));
    }

    [Fact]
    public async Task StopAsync_HandlerWaitsOnClosingToken_CutShortAndClosedGracefully()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (c, f) =>
        {
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, c.Closing);
            }
            catch (OperationCanceledException)
            {
                await c.SendAsync(Encoding.ASCII.GetBytes("bye\n"));
            }
        });
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(), Handler = handler });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, Encoding.ASCII.GetBytes("work\n"));
        await entered.Task.WaitAsync(Net.Timeout);
        await server.StopAsync().WaitAsync(Net.Timeout);

        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);
        Assert.Equal(CloseReason.ServerStopping, closed.Reason);
        Assert.True(closed.Connection.Closing.IsCancellationRequested);
        Assert.Equal("bye\n", Encoding.ASCII.GetString(await Net.ReceiveExactlyAsync(client, 4)));
    }

    [Fact]
    public async Task Closing_FirstReadAfterClose_AlreadyCancelled()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Handler = handler });
        var client = await ConnectAsync(server);
        await Eventually.WaitUntilAsync(() => handler.Opened.Count == 1);
        var connection = handler.Opened.ToArray()[0];

        client.Shutdown(SocketShutdown.Send);
        await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.True(connection.Closing.IsCancellationRequested);
    }

    [Fact]
    public async Task StopAsync_HandlerNeverFinishes_AbortsAfterShutdownTimeout()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        var handler = new DelegateHandler(async (c, f) =>
        {
            entered.TrySetResult();
            await never.Task;
        });
        var server = StartServer(new TcpServerOptions { Handler = handler, ShutdownTimeout = TimeSpan.FromMilliseconds(100) });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, new byte[] { 1 });
        await entered.Task.WaitAsync(Net.Timeout);
        await server.StopAsync().WaitAsync(Net.Timeout);

        // The socket was dropped even though the handler is still stuck.
        await Net.ReadUntilClosedAsync(client);
        never.SetResult();
    }

    [Fact]
    public async Task IdleTimeout_NoTraffic_ClosedWithIdleTimeout()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Handler = handler, IdleTimeout = TimeSpan.FromMilliseconds(100) });
        var client = await ConnectAsync(server);

        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(CloseReason.IdleTimeout, closed.Reason);
        Assert.Equal(0, await Net.ReadUntilClosedAsync(client));
    }

    [Fact]
    public async Task ConnectionLimit_Reached_ExtraConnectionRefusedOthersKeepWorking()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(), Handler = handler, MaxConnections = 2 });
        var first = await ConnectAsync(server);
        var second = await ConnectAsync(server);
        await Eventually.WaitUntilAsync(() => handler.Opened.Count == 2);

        // The kernel completes the handshake before the server can refuse, so the refusal shows up either as a
        // failed connect (reset raced the handshake) or as a close on the first read.
        try
        {
            var third = await ConnectAsync(server);
            Assert.Equal(0, await Net.ReadUntilClosedAsync(third));
        }
        catch (SocketException)
        {
        }
        await Eventually.WaitUntilAsync(() => server.RejectedConnections == 1);

        Assert.Equal(1, server.RejectedConnections);
        Assert.Equal(2, handler.Opened.Count);
        foreach (var client in new[] { first, second })
        {
            await Net.SendAllAsync(client, Encoding.ASCII.GetBytes("hi\n"));
            Assert.Equal("hi\n", Encoding.ASCII.GetString(await Net.ReceiveExactlyAsync(client, 3)));
        }
    }

    [Fact]
    public async Task Publisher_Lifecycle_PublishedAsEventsInOrder()
    {
        var publisher = new RecordingPublisher();
        var frames = new ConcurrentQueue<string>();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        publisher.OnEvent = e =>
        {
            if (e is FrameReceived f)
            {
                frames.Enqueue(Encoding.ASCII.GetString(f.Frame.ToArray()));
            }
            if (e is ConnectionClosed)
            {
                closed.SetResult();
            }
        };
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LineDelimited(), Publisher = publisher });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, Encoding.ASCII.GetBytes("a\nb\n"));
        await Eventually.WaitUntilAsync(() => frames.Count == 2);
        client.Shutdown(SocketShutdown.Send);
        await closed.Task.WaitAsync(Net.Timeout);

        var kinds = publisher.Events.Select(e => e.GetType().Name).ToArray();
        Assert.Equal(new[] { nameof(ConnectionOpened), nameof(FrameReceived), nameof(FrameReceived), nameof(ConnectionClosed) }, kinds);
        Assert.Equal(new[] { "a", "b" }, frames);
        Assert.Equal(CloseReason.RemoteClosed, publisher.Events.OfType<ConnectionClosed>().Single().Reason);
    }

    [Fact]
    public async Task HandlerAndPublisher_Both_HandlerRunsThenEventPublished()
    {
        var order = new ConcurrentQueue<string>();
        var publisher = new RecordingPublisher { OnEvent = e => order.Enqueue("event:" + e.GetType().Name) };
        var handler = new DelegateHandler((c, f) =>
        {
            order.Enqueue("handler");
            return default;
        });
        var server = StartServer(new TcpServerOptions { Handler = handler, Publisher = publisher });
        var client = await ConnectAsync(server);

        await Net.SendAllAsync(client, new byte[] { 1 });
        await Eventually.WaitUntilAsync(() => order.Contains("event:" + nameof(FrameReceived)));

        Assert.Equal(new[] { "event:" + nameof(ConnectionOpened), "handler", "event:" + nameof(FrameReceived) }, order);
    }

    [Fact]
    public async Task Client_ConnectorExchangesFramesWithServer_BothSidesSeeClose()
    {
        var serverHandler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = serverHandler });
        var received = new List<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientHandler = new DelegateHandler((c, f) =>
        {
            received.Add(Encoding.UTF8.GetString(f.ToArray())); // on the client's loop: no lock needed
            if (received.Count == 50)
            {
                all.SetResult();
            }
            return default;
        });
        var loop = _group.Next();

        var connection = await TcpConnector.ConnectAsync(loop, server.LocalEndPoint,
            new TcpConnectionOptions { Codec = FrameCodec.LengthPrefixed(), Handler = clientHandler });
        for (var i = 0; i < 50; i++)
        {
            await connection.SendAsync(Encoding.UTF8.GetBytes("message " + i));
        }
        await all.Task.WaitAsync(Net.Timeout);
        connection.Close();
        await connection.Completion.WaitAsync(Net.Timeout);
        var serverClosed = await serverHandler.FirstClose.Task.WaitAsync(Net.Timeout);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => "message " + i), received);
        Assert.Equal(0, clientHandler.OffLoopCalls);
        Assert.Equal(CloseReason.LocalClose, connection.CloseReason);
        Assert.Equal(CloseReason.RemoteClosed, serverClosed.Reason);
        Assert.Same(loop, connection.Loop);
    }

    [Fact]
    public async Task SendAsync_FromManyThreadsAtOnce_FramesArriveWholeAndInPerThreadOrder()
    {
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = new EchoHandler() });
        var received = new List<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int Threads = 4;
        const int PerThread = 500;
        var clientHandler = new DelegateHandler((c, f) =>
        {
            received.Add(Encoding.ASCII.GetString(f.ToArray()));
            if (received.Count == Threads * PerThread)
            {
                all.SetResult();
            }
            return default;
        });
        var connection = await TcpConnector.ConnectAsync(_group.Next(), server.LocalEndPoint,
            new TcpConnectionOptions { Codec = FrameCodec.LengthPrefixed(), Handler = clientHandler, MaxSendBufferSize = 64 * 1024 * 1024 });

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                await connection.SendAsync(Encoding.ASCII.GetBytes($"{t}:{i}:" + new string('x', i % 300)));
            }
        })));
        await all.Task.WaitAsync(Net.Timeout);

        var parsed = received.Select(r => r.Split(':')).ToArray();
        Assert.All(parsed, p => Assert.Equal(int.Parse(p[1]) % 300, p[2].Length));
        for (var t = 0; t < Threads; t++)
        {
            var order = parsed.Where(p => p[0] == t.ToString()).Select(p => int.Parse(p[1])).ToArray();
            Assert.Equal(Enumerable.Range(0, PerThread), order);
        }
        connection.Close();
    }

    [Fact]
    public async Task SendAsync_SocketBufferFillsMidStream_FramesArriveWholeAndInOrder()
    {
        // Sends go straight to the socket while nothing is queued; once the peer stops reading and the socket's
        // buffer fills, the rest of a frame and everything after it queue in the output pipe. Nothing may be lost,
        // duplicated or reordered across that switch, and back again once the peer reads.
        const int Frames = 12_000;
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = StartServer(new TcpServerOptions
        {
            Codec = FrameCodec.LengthPrefixed(),
            MaxSendBufferSize = 64 * 1024 * 1024,
            Handler = new DelegateHandler(async (c, f) =>
            {
                for (var i = 0; i < Frames; i++)
                {
                    var payload = new byte[1000];
                    BinaryPrimitives.WriteInt32BigEndian(payload, i);
                    payload.AsSpan(4).Fill((byte)i);
                    await c.SendAsync(payload);
                }
                sent.SetResult();
            }),
        });
        var client = await ConnectAsync(server);
        await Net.SendAllAsync(client, Net.LengthPrefixed(new byte[] { 1 }));
        await sent.Task.WaitAsync(Net.Timeout); // 12 MB sent while the client read nothing: more than the socket buffers hold

        for (var i = 0; i < Frames; i++)
        {
            var frame = await Net.ReceiveExactlyAsync(client, 4 + 1000);
            Assert.Equal(1000, BinaryPrimitives.ReadInt32BigEndian(frame));
            Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)));
            Assert.True(frame.AsSpan(8).IndexOfAnyExcept((byte)i) < 0, $"frame {i} corrupted");
        }
    }

    [Fact]
    public async Task SendAsync_AfterClose_ThrowsConnectionClosed()
    {
        var server = StartServer(new TcpServerOptions { Handler = new EchoHandler() });
        var connection = await TcpConnector.ConnectAsync(_group.Next(), server.LocalEndPoint, new TcpConnectionOptions { Handler = new EchoHandler() });
        connection.Close();
        await connection.Completion.WaitAsync(Net.Timeout);

        var ex = await Assert.ThrowsAsync<ConnectionClosedException>(() => connection.SendAsync(new byte[] { 1 }).AsTask());
        Assert.Equal(CloseReason.LocalClose, ex.Reason);
        Assert.False(connection.IsConnected);
    }

    [Fact]
    public async Task SendAsync_PayloadLargerThanCodecMax_ThrowsArgumentAndConnectionStaysOpen()
    {
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(16), Handler = new EchoHandler() });
        var connection = await TcpConnector.ConnectAsync(_group.Next(), server.LocalEndPoint,
            new TcpConnectionOptions { Codec = FrameCodec.LengthPrefixed(16), Handler = new EchoHandler() });

        await Assert.ThrowsAsync<ArgumentException>(() => connection.SendAsync(new byte[17]).AsTask());
        Assert.True(connection.IsConnected);
        connection.Close();
    }

    [Fact]
    public void Server_NoHandlerNorPublisher_Throws()
    {
        Assert.Throws<ArgumentException>(() => new TcpServer(_group, new TcpServerOptions()));
    }

    private sealed class DelegateHandler(Func<TcpConnection, ReadOnlySequence<byte>, ValueTask> onFrame) : EchoHandler
    {
        public Action<CloseReason>? OnClosed { get; set; }

        public override ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame)
        {
            CheckLoop(connection);
            return onFrame(connection, frame);
        }

        public override ValueTask OnClosedAsync(TcpConnection connection, CloseReason reason, Exception? exception)
        {
            OnClosed?.Invoke(reason);
            return base.OnClosedAsync(connection, reason, exception);
        }
    }

    private sealed class ThrowingEchoHandler : EchoHandler
    {
        public override ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame)
        {
            if (Encoding.ASCII.GetString(frame.ToArray()) == "boom")
            {
                throw new InvalidOperationException("boom");
            }
            return base.OnFrameAsync(connection, frame);
        }
    }

    /// <summary>On the first frame, sends chunks until the connection refuses; the peer never reads.</summary>
    private sealed class FloodHandler(byte[] chunk, Action<TcpConnection> afterSend) : EchoHandler
    {
        public Exception? SendFailure { get; private set; }

        public override async ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame)
        {
            for (var i = 0; i < 100_000; i++)
            {
                try
                {
                    await connection.SendAsync(chunk);
                }
                catch (ConnectionClosedException ex)
                {
                    SendFailure = ex;
                    return;
                }
                afterSend(connection);
                await Task.Yield(); // let the loop run socket completions between sends
            }
        }
    }

    /// <summary>A user codec: one frame per byte run, rejecting anything that is not 7-bit ASCII.</summary>
    private sealed class AsciiOnlyCodec() : FrameCodec(1024, 0)
    {
        public override FrameStatus Decode(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
        {
            frame = default;
            if (buffer.IsEmpty)
            {
                return FrameStatus.Incomplete;
            }
            foreach (var segment in buffer)
            {
                foreach (var b in segment.Span)
                {
                    if (b > 0x7F)
                    {
                        return FrameStatus.Invalid;
                    }
                }
            }
            frame = buffer;
            buffer = buffer.Slice(buffer.End);
            return FrameStatus.Complete;
        }

        public override void Encode(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output) => Copy(payload, output);
    }
}
