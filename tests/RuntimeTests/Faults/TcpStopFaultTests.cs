using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;
using EventRouter.Tests.Reactor;

namespace EventRouter.Tests.Faults;

/// <summary>
/// A TCP server stopped while clients keep connecting, sending and leaving: every connection the server opened is
/// closed exactly once, on its loop; the stop returns; no client waits forever; nothing is left open.
/// </summary>
public sealed class TcpStopFaultTests
{
    [Fact]
    public async Task StopRacingConnectsSendsAndDisconnects_EveryOpenedConnectionClosedOnce_NoClientHangs()
    {
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        const int Rounds = 12;
        const int Clients = 24;
        long cases = 0, faults = 0, hung = 0, twice = 0, lost = 0;
        var failures = new List<string>();
        await using var group = new EventLoopGroup(2);

        for (var round = 0; round < Rounds; round++)
        {
            var handler = new EchoHandler();
            var server = new TcpServer(group, new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = handler, ShutdownTimeout = TimeSpan.FromSeconds(20) });
            server.Start();
            var endPoint = server.LocalEndPoint;
            var stopAfterMs = random.Next(0, 40);
            var plans = Enumerable.Range(0, Clients).Select(_ => (Delay: random.Next(0, 50), Frames: random.Next(0, 20), LeaveEarly: random.Next(4) == 0)).ToArray();
            faults += plans.Count(p => p.LeaveEarly) + 1; // the stop itself races everything

            var clients = plans.Select(plan => Task.Run(async () =>
            {
                await Task.Delay(plan.Delay);
                Socket socket;
                try
                {
                    socket = await Net.ConnectAsync(endPoint);
                }
                catch (SocketException)
                {
                    return; // the listener had already stopped: refused, nothing opened
                }
                using (socket)
                {
                    try
                    {
                        var frame = Net.LengthPrefixed(new byte[64]);
                        for (var i = 0; i < plan.Frames; i++)
                        {
                            await Net.SendAllAsync(socket, frame);
                            await Net.ReceiveExactlyAsync(socket, frame.Length);
                        }
                        if (!plan.LeaveEarly)
                        {
                            await Net.ReadUntilClosedAsync(socket); // the server's stop closes it
                        }
                    }
                    catch (Exception ex) when (ex is SocketException or InvalidOperationException or ObjectDisposedException)
                    {
                        // Closed by the server while sending or reading: expected around the stop.
                    }
                }
            })).ToArray();

            await Task.Delay(stopAfterMs);
            var stop = server.StopAsync();
            var stopped = await Task.WhenAny(stop, Task.Delay(Net.Timeout)) == stop;
            var allClients = Task.WhenAll(clients);
            var clientsDone = await Task.WhenAny(allClients, Task.Delay(Net.Timeout)) == allClients;
            if (!stopped || !clientsDone)
            {
                hung++;
                failures.Add($"round {round}: stop returned {stopped}, clients done {clientsDone}");
                continue;
            }
            await allClients; // surfaces an unexpected client exception

            var opened = handler.Opened.ToArray();
            var closed = handler.Closed.ToArray();
            cases += opened.Length;
            var closes = closed.GroupBy(c => c.Connection).ToDictionary(g => g.Key, g => g.Count());
            foreach (var connection in opened)
            {
                var count = closes.GetValueOrDefault(connection);
                if (count != 1)
                {
                    if (count > 1) twice++; else lost++;
                    failures.Add($"round {round}: a connection was closed {count} times");
                }
            }
            if (closed.Length != opened.Length || server.ConnectionCount != 0 || handler.OffLoopCalls != 0)
            {
                lost++;
                failures.Add($"round {round}: opened {opened.Length}, closed {closed.Length}, still counted {server.ConnectionCount}, off-loop calls {handler.OffLoopCalls}");
            }
        }

        FaultFigures.Report("tcp.stop", cases, faults, lost, hung, twice);
        Assert.True(failures.Count == 0, $"seed {seed} (FAULT_SEED={seed} replays it)\n" + string.Join("\n", failures.Take(20)));
    }
}
