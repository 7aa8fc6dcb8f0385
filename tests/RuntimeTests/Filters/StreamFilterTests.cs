using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.Tests.Filters;

public sealed class StreamFilterTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly ModuleServer<StreamFilteredModule> _server = new(new StreamFilteredModule());

    private StreamFilteredModuleClient Client => new(_server);

    public Task InitializeAsync() => _server.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<List<int>> ReadAsync(IAsyncEnumerable<int> stream, int stopAfter = int.MaxValue)
    {
        var items = new List<int>();
        await foreach (var item in stream)
        {
            items.Add(item);
            if (items.Count == stopAfter)
            {
                break;
            }
        }
        return items;
    }

    [Fact]
    public async Task StreamFilter_WrapsTheWholeEnumerationOnTheModule()
    {
        var request = new TracedCount(2);

        var items = await ReadAsync(Client.StreamAsync(request)).WaitAsync(HangGuard);

        Assert.Equal(new[] { 0, 1 }, items);
        Assert.Equal(
            new[] { "filter:before StreamFilteredModule/TracedCount", "handler:start", "filter:item 0", "filter:item 1", "handler:end", "filter:after", "filter:finally" },
            request.Trace.Entries);
    }

    [Fact]
    public async Task StreamFilter_ReaderBreaksEarly_TheFilterAndTheHandlerRunTheirFinallyBlocks()
    {
        var request = new TracedCount(100);

        var items = await ReadAsync(Client.StreamAsync(request), stopAfter: 1).WaitAsync(HangGuard);
        // The module is held until the chain has ended: a later stream runs after it.
        await ReadAsync(Client.StreamAsync(new TracedCount(0))).WaitAsync(HangGuard);

        Assert.Equal(new[] { 0 }, items);
        Assert.Equal("filter:finally", request.Trace.Entries[^1]);
        Assert.Contains("handler:end", request.Trace.Entries);
        Assert.DoesNotContain("filter:after", request.Trace.Entries);
    }

    [Fact]
    public async Task StreamFilter_HandlerThrows_FilterObservesItAndTheReaderGetsIt()
    {
        var request = new TracedCount(1, "throw");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ReadAsync(Client.StreamAsync(request))).WaitAsync(HangGuard);

        Assert.Equal("handler failed", error.Message);
        Assert.Equal(
            new[] { "filter:before StreamFilteredModule/TracedCount", "handler:start", "filter:item 0", "handler:end", "filter:saw handler failed", "filter:finally" },
            request.Trace.Entries);
    }

    [Fact]
    public async Task StreamFilter_ShortCircuits_HandlerNeverRuns()
    {
        var request = new TracedCount(3, "short");

        var items = await ReadAsync(Client.StreamAsync(request)).WaitAsync(HangGuard);

        Assert.Empty(items);
        Assert.Equal(new[] { "filter:before StreamFilteredModule/TracedCount", "filter:short" }, request.Trace.Entries);
    }
}
