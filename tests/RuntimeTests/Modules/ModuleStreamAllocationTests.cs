using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.Tests.Modules;

// Measures process-wide allocations: runs alone, so other tests' allocations do not count.
[Collection(TelemetrySensitive.Name)]
public sealed class ModuleStreamAllocationTests
{
    [Fact]
    public async Task StreamAsync_ClassItems_AllocateNothingPerItem()
    {
        const int Items = 50_000;
        await using var server = new ModuleServer<StreamTestModule>(new StreamTestModule(), new ModuleServerOptions { StreamBufferCapacity = 16 });
        await server.StartAsync(CancellationToken.None);
        var client = new StreamTestModuleClient(server);
        var item = new object();

        // Off the test framework's synchronization context, so continuations are not posted to it.
        var (small, large) = await Task.Run(async () =>
        {
            await ReadAsync(client, item, Items); // JIT, pools
            var small = await MeasureAsync(client, item, Items);
            var large = await MeasureAsync(client, item, 2 * Items);
            return (small, large);
        }).WaitAsync(TimeSpan.FromSeconds(60));

        // Two streams, one twice as long: what a stream costs once (its operation, buffer, timer) cancels out; what
        // remains is Items items' worth. A single stray allocation elsewhere in the process is far below one byte each.
        var perItem = (large - small) / (double)Items;
        Assert.True(perItem < 1, $"{perItem:F2} bytes per item (streams of {Items}: {small} B, of {2 * Items}: {large} B)");
    }

    private static async Task<long> MeasureAsync(StreamTestModuleClient client, object item, int count)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await ReadAsync(client, item, count).ConfigureAwait(false);
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    private static async Task ReadAsync(StreamTestModuleClient client, object item, int count)
    {
        var read = 0;
        await foreach (var received in client.StreamAsync(new Repeat(item, count)).ConfigureAwait(false))
        {
            read += ReferenceEquals(received, item) ? 1 : 0;
        }
        Assert.Equal(count, read);
    }
}
