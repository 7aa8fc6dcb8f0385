// The streaming sample: a module answers a request with a stream of items. The module is held while it produces,
// a bounded buffer keeps it at most a few items ahead of its reader, leaving the loop early ends the handler at once,
// a failure reaches the reader after the items before it, and a reader that stops reading is timed out.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using StreamingSample;

await using var server = new ModuleServer<PriceBook>(new PriceBook(), new ModuleServerOptions
{
    StreamBufferCapacity = 4,                            // the module runs at most 4 items (plus one in hand) ahead
    StreamItemTimeout = TimeSpan.FromMilliseconds(300),  // a reader that takes nothing for 300 ms frees the module
});
await server.StartAsync(CancellationToken.None);
var client = new PriceBookClient(server);

Console.WriteLine("== 1. Read a stream to its end ==");
await client.SendAsync(new SetPrice("ACME", 10m));
await foreach (var tick in client.StreamAsync(new Watch("ACME", Ticks: 5)))
{
    Console.WriteLine($"  {tick.Symbol} #{tick.Sequence}: {tick.Price}");
}

Console.WriteLine("== 2. Leave early: the handler's enumeration ends, its finally runs, the module is free again ==");
await foreach (var tick in client.StreamAsync(new Watch("ACME", Ticks: 1_000_000)))
{
    if (tick.Sequence == 2)
    {
        break;
    }
}
Console.WriteLine($"  streams ended: {await client.RequestAsync(new StreamsEnded())}");

Console.WriteLine("== 3. The handler fails: the reader gets the items before it, then the exception ==");
try
{
    await foreach (var tick in client.StreamAsync(new Watch("NONE", Ticks: 3)))
    {
        Console.WriteLine($"  {tick.Symbol} #{tick.Sequence}");
    }
}
catch (KeyNotFoundException ex)
{
    Console.WriteLine($"  {ex.GetType().Name}: {ex.Message}");
}

Console.WriteLine("== 4. A reader that stops reading: the item timeout ends the stream and frees the module ==");
var stalled = client.StreamAsync(new Watch("ACME", Ticks: 1_000_000)).GetAsyncEnumerator();
await stalled.MoveNextAsync();
Console.WriteLine($"  while the reader sleeps, a request waits for the module... answered: {await client.RequestAsync(new StreamsEnded())} streams ended");
try
{
    while (await stalled.MoveNextAsync())
    {
    }
}
catch (ModuleStreamTimeoutException ex)
{
    Console.WriteLine($"  the reader gets {ex.GetType().Name} (reader stalled: {ex.ReaderStalled})");
}
finally
{
    await stalled.DisposeAsync();
}

await server.ShutdownAsync();
Console.WriteLine("done");
