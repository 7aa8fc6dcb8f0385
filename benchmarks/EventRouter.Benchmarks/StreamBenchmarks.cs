using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using EventRouter.Modules;

namespace EventRouter.Benchmarks;

/// <summary>
/// A module stream against a raw bounded <see cref="Channel{T}"/> producer/consumer pair, per item
/// (OperationsPerInvoke): each invocation streams 10,000 items of a class (one shared instance, so the figure is what
/// moving an item costs, not making it) through a buffer of 32, producer and reader on their own threads.
/// </summary>
[MemoryDiagnoser]
public class StreamCases
{
    private const int Items = 10_000;
    private const int Buffer = 32;
    private static readonly Payload Item = new();

    private ModuleServer<StreamModule> _server = null!;
    private StreamModuleClient _client = null!;
    private ModuleServer<StreamModule> _untimedServer = null!;
    private StreamModuleClient _untimedClient = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = new ModuleServer<StreamModule>(new StreamModule(), new ModuleServerOptions { StreamBufferCapacity = Buffer });
        _server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        _client = new StreamModuleClient(_server);
        _untimedServer = new ModuleServer<StreamModule>(new StreamModule(), new ModuleServerOptions
        {
            StreamBufferCapacity = Buffer,
            RequestTimeout = Timeout.InfiniteTimeSpan,
            StreamItemTimeout = Timeout.InfiniteTimeSpan,
        });
        _untimedServer.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        _untimedClient = new StreamModuleClient(_untimedServer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _untimedServer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "raw bounded Channel<T>: producer task + reader")]
    public int RawChannel() => Task.Run(RawChannelAsync).GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Items, Description = "raw bounded Channel<T>, producer enumerating the same async iterator")]
    public int RawChannelFromIterator() => Task.Run(RawChannelFromIteratorAsync).GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Items, Description = "module stream: StreamAsync + await foreach")]
    public int ModuleStream() => Task.Run(() => ModuleStreamAsync(_client)).GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Items, Description = "module stream, timeouts off")]
    public int ModuleStreamUntimed() => Task.Run(() => ModuleStreamAsync(_untimedClient)).GetAwaiter().GetResult();

    private static async Task<int> RawChannelAsync()
    {
        var channel = Channel.CreateBounded<Payload>(new BoundedChannelOptions(Buffer) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                await channel.Writer.WriteAsync(Item).ConfigureAwait(false);
            }
            channel.Writer.Complete();
        });
        var read = await DrainAsync(channel.Reader).ConfigureAwait(false);
        await producer.ConfigureAwait(false);
        return read;
    }

    /// <summary>The baseline with the handler's shape: what a module stream costs beyond its async iterator.</summary>
    private static async Task<int> RawChannelFromIteratorAsync()
    {
        var channel = Channel.CreateBounded<Payload>(new BoundedChannelOptions(Buffer) { SingleReader = true, SingleWriter = true });
        var handler = new StreamModule();
        var producer = Task.Run(async () =>
        {
            await foreach (var item in ((IStreamRequestHandler<StreamItems, Payload>)handler).HandleAsync(new StreamItems(Items), CancellationToken.None).ConfigureAwait(false))
            {
                await channel.Writer.WriteAsync(item).ConfigureAwait(false);
            }
            channel.Writer.Complete();
        });
        var read = await DrainAsync(channel.Reader).ConfigureAwait(false);
        await producer.ConfigureAwait(false);
        return read;
    }

    /// <summary>The raw consumer: waits, then takes everything there is.</summary>
    private static async Task<int> DrainAsync(ChannelReader<Payload> reader)
    {
        var read = 0;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out _))
            {
                read++;
            }
        }
        return read;
    }

    private static async Task<int> ModuleStreamAsync(StreamModuleClient client)
    {
        var read = 0;
        await foreach (var _ in client.StreamAsync(new StreamItems(Items)).ConfigureAwait(false))
        {
            read++;
        }
        return read;
    }
}

public sealed class Payload;

public sealed record StreamItems(int Count);

[ModuleServer]
public sealed partial class StreamModule : IStreamRequestHandler<StreamItems, Payload>
{
    private static readonly Payload Item = new();

    public async IAsyncEnumerable<Payload> HandleAsync(StreamItems request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        for (var i = 0; i < request.Count; i++)
        {
            yield return Item;
        }
    }
}
