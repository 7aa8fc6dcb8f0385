using System;
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using EventRouter.Reactor;

namespace EventRouter.Benchmarks;

/// <summary>
/// Reactor cases for quick mode: TCP echo over loopback (100 connections, 64-byte messages, one in flight each)
/// against a raw Socket echo loop with one reused buffer per connection, driven by the same client; and 100k timers
/// armed then cancelled on a loop against System.Threading.Timer create + dispose.
/// </summary>
public sealed class ReactorScenarios
{
    public const int Connections = 100;
    public const int MessageSize = 64;
    public const int TimersPerBatch = 100_000;

    private readonly EventLoopGroup _group = new();
    private readonly TcpServer _server;
    private readonly Socket _rawListener;
    private readonly EchoClient _ours;
    private readonly EchoClient _raw;
    private readonly EventLoop _timerLoop = new(new EventLoopOptions { Name = "timers" });
    private readonly LoopTimer[] _loopTimers = new LoopTimer[TimersPerBatch];
    private readonly Timer[] _threadingTimers = new Timer[TimersPerBatch];

    public ReactorScenarios()
    {
        _server = new TcpServer(_group, new TcpServerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Codec = FrameCodec.Raw(),
            Handler = new EchoHandler(),
        });
        _server.Start();

        _rawListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _rawListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawListener.Listen(512);
        _ = Task.Run(RawAcceptLoop);

        _ours = EchoClient.Connect(_server.LocalEndPoint);
        _raw = EchoClient.Connect((IPEndPoint)_rawListener.LocalEndPoint!);
    }

    public void EchoOurs(int n) => _ours.Run(n);

    public void EchoRaw(int n) => _raw.Run(n);

    /// <summary>n batches: arm 100k timers on the loop (from the loop, where handlers arm them), then cancel them all.</summary>
    public void LoopTimers(int n)
    {
        for (var b = 0; b < n; b++)
        {
            _timerLoop.InvokeAsync(() =>
            {
                var due = TimeSpan.FromMinutes(10);
                for (var i = 0; i < _loopTimers.Length; i++)
                {
                    _loopTimers[i] = _timerLoop.Schedule(due, static _ => { }, null);
                }
                for (var i = 0; i < _loopTimers.Length; i++)
                {
                    _loopTimers[i].Cancel();
                }
            }).GetAwaiter().GetResult();
        }
    }

    /// <summary>n batches: create 100k System.Threading.Timer, then dispose them all.</summary>
    public void ThreadingTimers(int n)
    {
        for (var b = 0; b < n; b++)
        {
            var due = TimeSpan.FromMinutes(10);
            for (var i = 0; i < _threadingTimers.Length; i++)
            {
                _threadingTimers[i] = new Timer(static _ => { }, null, due, Timeout.InfiniteTimeSpan);
            }
            for (var i = 0; i < _threadingTimers.Length; i++)
            {
                _threadingTimers[i].Dispose();
            }
        }
    }

    private async Task RawAcceptLoop()
    {
        while (true)
        {
            var socket = await _rawListener.AcceptAsync().ConfigureAwait(false);
            socket.NoDelay = true;
            _ = Task.Run(() => RawEcho(socket));
        }
    }

    /// <summary>The raw baseline: receive into one reused buffer, send what came, until the peer closes.</summary>
    private static async Task RawEcho(Socket socket)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
            if (read == 0)
            {
                socket.Dispose();
                return;
            }
            var sent = 0;
            while (sent < read)
            {
                sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None).ConfigureAwait(false);
            }
        }
    }

    private sealed class EchoHandler : IConnectionHandler
    {
        public ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame) => connection.SendAsync(frame);
    }

    /// <summary>
    /// 100 connections; each sends 64 bytes and waits for the 64 echoed bytes before the next (one in flight).
    /// </summary>
    /// <remarks>
    /// One long-lived loop per connection, started once and handed a count per batch through a reusable signal, so
    /// that the client allocates nothing per batch: quick mode counts every thread's allocations, and a client that
    /// started 100 tasks per batch (as this one first did) added its own bytes to the server's.
    /// </remarks>
    private sealed class EchoClient
    {
        private readonly Socket[] _sockets;
        private readonly Go[] _go;
        private readonly ManualResetEventSlim _done = new();
        private int _running;
        private Exception? _failure;

        private EchoClient(Socket[] sockets)
        {
            _sockets = sockets;
            _go = new Go[sockets.Length];
            for (var i = 0; i < sockets.Length; i++)
            {
                _go[i] = new Go();
                _ = Loop(i);
            }
        }

        public static EchoClient Connect(IPEndPoint endPoint)
        {
            var sockets = new Socket[Connections];
            for (var i = 0; i < sockets.Length; i++)
            {
                sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                sockets[i].Connect(endPoint);
            }
            return new EchoClient(sockets);
        }

        /// <summary>n messages in total, spread over the connections; returns when all are echoed.</summary>
        public void Run(int n)
        {
            _done.Reset();
            Volatile.Write(ref _running, _sockets.Length);
            for (var c = 0; c < _sockets.Length; c++)
            {
                _go[c].Start(n / _sockets.Length + (c < n % _sockets.Length ? 1 : 0));
            }
            if (!_done.Wait(TimeSpan.FromSeconds(60)) || _failure is not null)
            {
                throw new InvalidOperationException("The echo client failed or timed out.", _failure);
            }
        }

        private async Task Loop(int c)
        {
            var socket = _sockets[c];
            var go = _go[c];
            var send = new byte[MessageSize];
            var receive = new byte[MessageSize];
            while (true)
            {
                var count = await go.WaitAsync().ConfigureAwait(false);
                try
                {
                    for (var m = 0; m < count; m++)
                    {
                        await socket.SendAsync(send.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                        var got = 0;
                        while (got < MessageSize)
                        {
                            var read = await socket.ReceiveAsync(receive.AsMemory(got), SocketFlags.None).ConfigureAwait(false);
                            if (read == 0) throw new InvalidOperationException("The echo server closed the connection.");
                            got += read;
                        }
                    }
                }
                catch (Exception ex)
                {
                    _failure = ex;
                }
                if (Interlocked.Decrement(ref _running) == 0)
                {
                    _done.Set();
                }
            }
        }

        /// <summary>A reusable "go with this many messages" signal: one per connection, no allocation per batch.</summary>
        private sealed class Go : IValueTaskSource<int>
        {
            private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = true };

            public void Start(int count) => _core.SetResult(count);

            public ValueTask<int> WaitAsync() => new(this, _core.Version);

            public int GetResult(short token)
            {
                var count = _core.GetResult(token);
                _core.Reset(); // the next Start comes only after this batch is done
                return count;
            }

            public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

            public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
                _core.OnCompleted(continuation, state, token, flags);
        }
    }
}
