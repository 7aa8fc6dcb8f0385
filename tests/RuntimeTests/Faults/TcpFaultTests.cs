using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;
using EventRouter.Tests.Infrastructure;
using EventRouter.Tests.Reactor;

namespace EventRouter.Tests.Faults;

/// <summary>The TCP server against hostile peers: every connection opened is closed once, honest peers get every byte back.</summary>
public sealed class TcpFaultTests : IAsyncDisposable
{
    private readonly EventLoopGroup _group = new(2);
    private readonly List<TcpServer> _servers = new();

    public async ValueTask DisposeAsync()
    {
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

    [Fact]
    public async Task FrameLargerThanDefaultSendBuffer_CodecAcceptsIt_EchoedWhole()
    {
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(2 * 1024 * 1024), Handler = handler });
        using var client = await Net.ConnectAsync(server.LocalEndPoint);
        var payload = new byte[1536 * 1024];
        new Random(7).NextBytes(payload);
        var frame = Net.LengthPrefixed(payload);

        var echo = Net.ReceiveExactlyAsync(client, frame.Length);
        await Net.SendAllAsync(client, frame);
        var back = await echo.WaitAsync(Net.Timeout);

        Assert.Equal(frame, back);
        Assert.Empty(handler.Closed);
    }

    [Fact]
    public async Task HostilePeers_RandomMix_EveryConnectionClosedOnceAndHonestPeersEchoed()
    {
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        var handler = new EchoHandler();
        var server = StartServer(new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(64 * 1024), Handler = handler, MaxSendBufferSize = 128 * 1024 });
        const int Peers = 120;
        var kinds = Enumerable.Range(0, Peers).Select(_ => random.Next(7)).ToArray();
        var seeds = Enumerable.Range(0, Peers).Select(_ => random.Next()).ToArray();
        var honest = 0;
        var echoed = 0;
        var peers = Enumerable.Range(0, Peers).Select(async i =>
        {
            var r = new Random(seeds[i]);
            using var socket = await Net.ConnectAsync(server.LocalEndPoint);
            switch (kinds[i])
            {
                case 0: // honest: frames of random sizes, fragmented, all echoed back
                {
                    Interlocked.Increment(ref honest);
                    var frames = Enumerable.Range(0, r.Next(1, 6)).Select(_ => Net.LengthPrefixed(RandomBytes(r, r.Next(0, 40_000)))).ToArray();
                    var all = frames.SelectMany(f => f).ToArray();
                    var back = Net.ReceiveExactlyAsync(socket, all.Length);
                    for (var offset = 0; offset < all.Length;)
                    {
                        var size = Math.Min(all.Length - offset, r.Next(1, 5000));
                        await Net.SendAllAsync(socket, all.AsMemory(offset, size));
                        offset += size;
                    }
                    if ((await back).AsSpan().SequenceEqual(all))
                    {
                        Interlocked.Increment(ref echoed);
                    }
                    socket.Shutdown(SocketShutdown.Send);
                    await Net.ReadUntilClosedAsync(socket);
                    break;
                }
                case 1: // reset in the middle of a frame
                    await Net.SendAllAsync(socket, Net.LengthPrefixed(RandomBytes(r, 1000)).AsMemory(0, r.Next(1, 1000)));
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    break;
                case 2: // half-close mid-frame, then wait for the server to close
                    await Net.SendAllAsync(socket, Net.LengthPrefixed(RandomBytes(r, 500)).AsMemory(0, r.Next(1, 500)));
                    socket.Shutdown(SocketShutdown.Send);
                    await Net.ReadUntilClosedAsync(socket);
                    break;
                case 3: // a length prefix beyond the codec's maximum
                {
                    var bad = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(bad, (uint)r.Next(64 * 1024 + 1, int.MaxValue));
                    await Net.SendAllAsync(socket, bad);
                    await Net.ReadUntilClosedAsync(socket);
                    break;
                }
                case 4: // garbage bytes, then reset
                    await Net.SendAllAsync(socket, RandomBytes(r, r.Next(1, 4000)));
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    break;
                case 5: // flood of frames without reading the echo: the send buffer bound closes it
                {
                    var frame = Net.LengthPrefixed(RandomBytes(r, 32 * 1024));
                    try
                    {
                        for (var n = 0; n < 64; n++)
                        {
                            await Net.SendAllAsync(socket, frame).WaitAsync(Net.Timeout);
                        }
                    }
                    catch (SocketException)
                    {
                        // closed by the server under the flood
                    }
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    break;
                }
                default: // connect and vanish
                    socket.Close();
                    break;
            }
        }).ToArray();

        await Task.WhenAll(peers).WaitAsync(TimeSpan.FromSeconds(60));
        await Eventually.WaitUntilAsync(() => server.ConnectionCount == 0 && handler.Closed.Count == handler.Opened.Count && handler.Opened.Count == Peers);

        var closedTwice = handler.Closed.GroupBy(c => c.Connection).Count(g => g.Count() > 1);
        Assert.True(echoed == honest && closedTwice == 0 && handler.OffLoopCalls == 0,
            $"seed {seed}: {echoed}/{honest} honest peers echoed, {closedTwice} connections closed twice, {handler.OffLoopCalls} off-loop calls");
        FaultFigures.Report("tcp.hostile-peers", Peers, Peers - honest, lost: honest - echoed, hung: Peers - handler.Closed.Count, twice: closedTwice);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
