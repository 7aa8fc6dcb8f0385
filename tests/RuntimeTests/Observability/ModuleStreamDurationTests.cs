using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Testing;
using EventRouter.Tests.Infrastructure;
using EventRouter.Tests.Modules;

namespace EventRouter.Tests.Observability;

/// <summary>
/// <c>eventrouter.module.stream.duration</c>: one measurement per stream, from its first read to its end, tagged with
/// the module, the request type and what the reader got. Each test's module has a name of its own, so streams of tests
/// running at the same time are not counted.
/// </summary>
[Collection(TelemetrySensitive.Name)]
public sealed class ModuleStreamDurationTests : IAsyncLifetime
{
    private const string Instrument = "eventrouter.module.stream.duration";
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly string _name = "metered-" + Guid.NewGuid().ToString("N");
    private readonly StreamTestModule _module = new();
    private readonly ConcurrentQueue<(double Seconds, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly MeterListener _listener;
    private ModuleServer<StreamTestModule>? _server;

    public ModuleStreamDurationTests()
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == EventRouterDiagnostics.MeterName && instrument.Name == Instrument)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }
            if (Equals(copy.GetValueOrDefault("eventrouter.module"), _name))
            {
                _measurements.Enqueue((value, copy));
            }
        });
        _listener.Start();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private StreamTestModuleClient Start(Action<ModuleServerOptions>? configure = null)
    {
        var options = new ModuleServerOptions { Name = _name };
        configure?.Invoke(options);
        _server = new ModuleServer<StreamTestModule>(_module, options);
        _server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new StreamTestModuleClient(_server);
    }

    // The handler's end is recorded on the module's loop, possibly after the reader saw it; a stop waits for the loop.
    private async Task<string[]> OutcomesAfterStopAsync()
    {
        await _server!.ShutdownAsync().WaitAsync(HangGuard);
        return _measurements.Select(m => (string)m.Tags["eventrouter.outcome"]!).ToArray();
    }

    private static async Task ReadAllAsync<T>(IAsyncEnumerable<T> stream)
    {
        await foreach (var _ in stream)
        {
        }
    }

    [Fact]
    public async Task Stream_ReadToTheEnd_RecordsOneDurationWithModuleRequestTypeAndSuccess()
    {
        var client = Start();

        await ReadAllAsync(client.StreamAsync(new CountTo(3))).WaitAsync(HangGuard);

        Assert.Equal(new[] { "success" }, await OutcomesAfterStopAsync());
        var (seconds, tags) = Assert.Single(_measurements);
        Assert.True(seconds >= 0);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["eventrouter.module"] = _name,
                ["eventrouter.module.request_type"] = "CountTo",
                ["eventrouter.outcome"] = "success",
            },
            tags);
    }

    [Fact]
    public async Task Stream_EachWayOfEnding_RecordsOneDurationWithItsOutcome()
    {
        var client = Start();

        // 1. The reader leaves early: the stream ended normally.
        await foreach (var item in client.StreamAsync(new Endless("t")))
        {
            if (item == 2)
            {
                break;
            }
        }
        Assert.True(await _module.Finished.Task.WaitAsync(HangGuard));
        // 2. The handler throws.
        await Assert.ThrowsAsync<CustomModuleException>(() => ReadAllAsync(client.StreamAsync(new FailAfter(1)))).WaitAsync(HangGuard);
        // 3. The reader cancels.
        _module.ResetFinished();
        using (var cts = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var _ in client.StreamAsync(new StallAfter(1), cts.Token))
                {
                    cts.Cancel();
                }
            }).WaitAsync(HangGuard);
        }
        Assert.True(await _module.Finished.Task.WaitAsync(HangGuard));
        // 4. An enumerable that is never read sends nothing and records nothing.
        _ = client.StreamAsync(new CountTo(1));

        var outcomes = await OutcomesAfterStopAsync();
        // 5. Refused after the stop.
        await Assert.ThrowsAsync<ModuleStoppedException>(() => ReadAllAsync(client.StreamAsync(new CountTo(1))));

        Assert.Equal(new[] { "success", "failure", "canceled" }, outcomes);
        Assert.Equal(new[] { "success", "failure", "canceled", "rejected" }, _measurements.Select(m => (string)m.Tags["eventrouter.outcome"]!));
        Assert.Equal(new[] { "Endless", "FailAfter", "StallAfter", "CountTo" }, _measurements.Select(m => (string)m.Tags["eventrouter.module.request_type"]!));
    }

    [Fact]
    public async Task Stream_ItemTimeout_RecordsTimeout()
    {
        var time = new ManualTimeProvider();
        var client = Start(o =>
        {
            o.TimeProvider = time;
            o.RequestTimeout = Timeout.InfiniteTimeSpan;
            o.StreamItemTimeout = TimeSpan.FromSeconds(5);
            o.StreamBufferCapacity = 2;
        });
        var reader = client.StreamAsync(new Endless("t")).GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync().AsTask().WaitAsync(HangGuard));

        // The only timer is the producer's wait for room in the full buffer.
        await time.WaitForArmedTimersAsync();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await _module.Finished.Task.WaitAsync(HangGuard));
        await reader.DisposeAsync();

        Assert.Equal(new[] { "timeout" }, await OutcomesAfterStopAsync());
    }
}
