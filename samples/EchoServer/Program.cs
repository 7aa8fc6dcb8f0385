using System;
using System.Buffers;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;

// A TCP echo server on EventRouter's reactor: a group of event loops, each connection bound to one loop,
// line-delimited frames echoed straight from the pooled receive buffer.
//
//   dotnet run --project samples/EchoServer -- --port 7000                  server (Ctrl+C stops it gracefully)
//   dotnet run --project samples/EchoServer -- --client --port 7000 hi yo   client: sends each word, prints the echo
//   dotnet run --project samples/EchoServer -- --demo                       both in one process on a free port, then stop
var port = 7000;
var client = false;
var demo = false;
var host = IPAddress.Loopback;
var words = new System.Collections.Generic.List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length:
            port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--host" when i + 1 < args.Length:
            host = IPAddress.Parse(args[++i]);
            break;
        case "--client":
            client = true;
            break;
        case "--demo":
            demo = true;
            break;
        case "--help":
            Console.WriteLine("EchoServer [--port N] [--host IP]            run the server");
            Console.WriteLine("EchoServer --client [--port N] [words...]    send lines, print the echoes");
            Console.WriteLine("EchoServer --demo [words...]                  server and client in one process, then a graceful stop");
            return 0;
        default:
            words.Add(args[i]);
            break;
    }
}

if (demo)
{
    return await EchoSample.RunDemoAsync(words.Count > 0 ? words.ToArray() : new[] { "hello", "reactor" });
}

return client
    ? await EchoSample.RunClientAsync(new IPEndPoint(host, port), words.Count > 0 ? words.ToArray() : new[] { "hello", "reactor" })
    : await EchoSample.RunServerAsync(new IPEndPoint(host, port));

internal static class EchoSample
{
    public static async Task<int> RunServerAsync(IPEndPoint endPoint)
    {
        await using var loops = new EventLoopGroup();
        var server = new TcpServer(loops, new TcpServerOptions
        {
            EndPoint = endPoint,
            Codec = FrameCodec.LineDelimited(maxFrameSize: 8 * 1024),
            Handler = new EchoHandler(),
            IdleTimeout = TimeSpan.FromMinutes(5),
        });
        server.Start();
        Console.WriteLine($"Echo server on {server.LocalEndPoint} with {loops.Count} event loop(s). Ctrl+C to stop.");

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.TrySetResult();
        };
        await stop.Task.ConfigureAwait(false);
        Console.WriteLine("Stopping: no new connections, open ones close after their current line.");
        await server.StopAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>The main job's run: a server on a free loopback port, one client round trip, then a graceful stop.</summary>
    public static async Task<int> RunDemoAsync(string[] lines)
    {
        await using var loops = new EventLoopGroup(2);
        var server = new TcpServer(loops, new TcpServerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Codec = FrameCodec.LineDelimited(maxFrameSize: 8 * 1024),
            Handler = new EchoHandler(),
        });
        server.Start();
        Console.WriteLine($"Echo server on {server.LocalEndPoint} with {loops.Count} event loop(s).");
        var code = await RunClientAsync(server.LocalEndPoint, lines).ConfigureAwait(false);
        await server.StopAsync().ConfigureAwait(false);
        Console.WriteLine("Server stopped.");
        return code;
    }

    public static async Task<int> RunClientAsync(IPEndPoint endPoint, string[] lines)
    {
        await using var loop = new EventLoop(new EventLoopOptions { Name = "echo-client" });
        var printer = new PrintingHandler(lines.Length);
        var connection = await TcpConnector.ConnectAsync(loop, endPoint, new TcpConnectionOptions
        {
            Codec = FrameCodec.LineDelimited(maxFrameSize: 8 * 1024),
            Handler = printer,
        }).ConfigureAwait(false);
        foreach (var line in lines)
        {
            await connection.SendAsync(Encoding.UTF8.GetBytes(line)).ConfigureAwait(false);
        }
        await printer.AllEchoed.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        connection.Close();
        await connection.Completion.ConfigureAwait(false);
        return 0;
    }
}

/// <summary>Echoes every line back. Runs on the connection's loop; the frame is sent without copying it first.</summary>
internal sealed class EchoHandler : IConnectionHandler
{
    public ValueTask OnOpenedAsync(TcpConnection connection)
    {
        Console.WriteLine($"[{connection.Loop.Name}] #{connection.Id} opened from {connection.RemoteEndPoint}");
        return default;
    }

    public ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame) => connection.SendAsync(frame);

    public ValueTask OnClosedAsync(TcpConnection connection, CloseReason reason, Exception? exception)
    {
        Console.WriteLine($"[{connection.Loop.Name}] #{connection.Id} closed: {reason}{(exception is null ? "" : " (" + exception.Message + ")")}");
        return default;
    }
}

/// <summary>Prints each echoed line; loop-owned state, so the counter needs no lock.</summary>
internal sealed class PrintingHandler(int expected) : IConnectionHandler
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _received;

    public Task AllEchoed => _all.Task;

    public ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame)
    {
        Console.WriteLine("echo: " + Encoding.UTF8.GetString(frame));
        if (++_received == expected)
        {
            _all.TrySetResult();
        }
        return default;
    }

    public ValueTask OnClosedAsync(TcpConnection connection, CloseReason reason, Exception? exception)
    {
        _all.TrySetException(new InvalidOperationException($"Closed before all echoes arrived: {reason}"));
        return default;
    }
}
