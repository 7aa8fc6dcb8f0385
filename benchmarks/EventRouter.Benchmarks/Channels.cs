using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using EventRouter.DispatchLoop;
using EventRouter.Generated;
using EventRouter.Modules;

namespace EventRouter.Benchmarks;

/// <summary>The dispatch-loop event: a class, no id, no partition key (the plain fast path).</summary>
public sealed class LoopEvent
{
}

/// <summary>Counts deliveries; shared by the dispatch loop and the raw-channel baseline (one consumer each).</summary>
[EventListener]
public sealed class LoopListener : IEventListener<LoopEvent>
{
    public static long Handled;

    public ValueTask HandleAsync(LoopEvent @event, CancellationToken cancellationToken)
    {
        Volatile.Write(ref Handled, Handled + 1);
        return default;
    }
}

public sealed record AddRequest(int Amount);

public sealed record BumpCommand;

/// <summary>The module of the module-server cases: a counter, one message at a time.</summary>
[ModuleServer]
public sealed partial class CounterModule : IRequestHandler<AddRequest, int>, ICommandHandler<BumpCommand>
{
    public long Bumps;
    private int _value;

    public ValueTask<int> HandleAsync(AddRequest request, CancellationToken cancellationToken) => new(_value += request.Amount);

    public ValueTask HandleAsync(BumpCommand command, CancellationToken cancellationToken)
    {
        Volatile.Write(ref Bumps, Bumps + 1);
        return default;
    }
}

/// <summary>
/// The channel cases, ours and the raw baselines, each as "run n items" for quick mode. Everything is started once;
/// every case waits until its own n items are handled.
/// </summary>
public sealed class ChannelScenarios
{
    private const int Capacity = 1024;
    private readonly LoopEvent _event = new();
    private readonly EventDispatchLoop _loop;
    private readonly Channel<LoopEvent> _rawEvents;
    private readonly CounterModuleClient _client;
    private readonly CounterModule _module = new();
    private readonly Channel<RawMessage> _rawModule;
    private int _rawModuleValue;
    private long _rawBumps;

    public ChannelScenarios()
    {
        _loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { MaxParallelism = 1, Capacity = Capacity });
        _loop.Start();

        _rawEvents = Channel.CreateBounded<LoopEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true });
        var listener = new LoopListener();
        _ = Task.Run(async () =>
        {
            var reader = _rawEvents.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var e))
                {
                    var t = listener.HandleAsync(e, default);
                    if (!t.IsCompletedSuccessfully) await t.ConfigureAwait(false);
                }
            }
        });

        var server = new ModuleServer<CounterModule>(_module, new ModuleServerOptions { Capacity = Capacity });
        server.StartAsync(default).GetAwaiter().GetResult();
        _client = new CounterModuleClient(server);

        _rawModule = Channel.CreateBounded<RawMessage>(new BoundedChannelOptions(Capacity) { SingleReader = true });
        _ = Task.Run(async () =>
        {
            var reader = _rawModule.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var m))
                {
                    if (m.Reply is null)
                    {
                        Volatile.Write(ref _rawBumps, _rawBumps + 1);
                    }
                    else
                    {
                        m.Reply.SetResult(_rawModuleValue += m.Amount);
                    }
                }
            }
        });
    }

    // ---- dispatch loop: enqueue n events, wait until the listener saw all of them ----

    public void DispatchLoop(int n)
    {
        var target = Volatile.Read(ref LoopListener.Handled) + n;
        for (var i = 0; i < n; i++)
        {
            var t = _loop.EnqueueAsync(_event);
            if (!t.IsCompletedSuccessfully) t.AsTask().GetAwaiter().GetResult();
        }
        WaitUntil(ref LoopListener.Handled, target);
    }

    public void RawChannelEvents(int n)
    {
        var target = Volatile.Read(ref LoopListener.Handled) + n;
        var writer = _rawEvents.Writer;
        for (var i = 0; i < n; i++)
        {
            if (!writer.TryWrite(_event)) writer.WriteAsync(_event).AsTask().GetAwaiter().GetResult();
        }
        WaitUntil(ref LoopListener.Handled, target);
    }

    // ---- module commands: send n, wait until the module handled all ----

    public void ModuleCommands(int n)
    {
        var target = Volatile.Read(ref _module.Bumps) + n;
        var command = new BumpCommand();
        for (var i = 0; i < n; i++)
        {
            var t = _client.SendAsync(command);
            if (!t.IsCompletedSuccessfully) t.AsTask().GetAwaiter().GetResult();
        }
        WaitUntil(ref _module.Bumps, target);
    }

    public void RawChannelCommands(int n)
    {
        var target = Volatile.Read(ref _rawBumps) + n;
        var writer = _rawModule.Writer;
        for (var i = 0; i < n; i++)
        {
            var m = new RawMessage(1, null);
            if (!writer.TryWrite(m)) writer.WriteAsync(m).AsTask().GetAwaiter().GetResult();
        }
        WaitUntil(ref _rawBumps, target);
    }

    // ---- module requests: one caller (module idle) or several at once (contended) ----

    public const int ContendedCallers = 4;
    private static readonly AddRequest One = new(1);

    public void ModuleRequestsIdle(int n) => ModuleCaller(n).GetAwaiter().GetResult();

    public void RawRequestsIdle(int n) => RawCaller(n).GetAwaiter().GetResult();

    public void ModuleRequestsContended(int n) => Contended(n, ModuleCaller);

    public void RawRequestsContended(int n) => Contended(n, RawCaller);

    private static void Contended(int n, Func<int, Task> caller)
    {
        var tasks = new Task[ContendedCallers];
        for (var c = 0; c < tasks.Length; c++)
        {
            var share = n / ContendedCallers + (c < n % ContendedCallers ? 1 : 0);
            tasks[c] = Task.Run(() => caller(share));
        }
        Task.WaitAll(tasks);
    }

    private async Task ModuleCaller(int n)
    {
        for (var i = 0; i < n; i++)
        {
            await _client.RequestAsync(One).ConfigureAwait(false);
        }
    }

    private async Task RawCaller(int n)
    {
        // The pooled reply: one per caller, reset for each request (the best a pool can do).
        var reply = new PooledReply();
        var writer = _rawModule.Writer;
        for (var i = 0; i < n; i++)
        {
            reply.Reset();
            var m = new RawMessage(1, reply);
            if (!writer.TryWrite(m)) await writer.WriteAsync(m).ConfigureAwait(false);
            await new ValueTask<int>(reply, reply.Version).ConfigureAwait(false);
        }
    }

    private static void WaitUntil(ref long counter, long target)
    {
        // Spin and yield, but never Thread.Sleep(1): SpinWait's default sleeps a whole timer tick (1 ms or more) once
        // it has spun 20 times, which is 10x a 1,000-event batch. It then measured the harness, and penalised the side
        // whose producer finishes first and so waits longer for the consumer's tail.
        var spin = new SpinWait();
        while (Volatile.Read(ref counter) < target)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private readonly record struct RawMessage(int Amount, PooledReply? Reply);

    /// <summary>The baseline's reply: ManualResetValueTaskSourceCore, continuations asynchronous (as the module's).</summary>
    private sealed class PooledReply : IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = true };

        public short Version => _core.Version;

        public void Reset() => _core.Reset();

        public void SetResult(int value) => _core.SetResult(value);

        public int GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
