using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Generated;
using EventRouter.Modules;

namespace ObservabilitySample;

/// <summary>
/// Prints EventRouter's spans and metrics with the plain listeners .NET ships (an OpenTelemetry exporter subscribes
/// to the same names: <see cref="EventRouterDiagnostics.ActivitySourceName"/> and <see cref="EventRouterDiagnostics.MeterName"/>).
/// </summary>
public static class ObservabilityDemo
{
    /// <summary>Runs the demo, writing to <paramref name="output"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(TextWriter output)
    {
        var gate = new object();
        void Write(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
            }
        }

        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EventRouterDiagnostics.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => Write(Describe(span)),
        };
        ActivitySource.AddActivityListener(tracing);

        var totals = new Dictionary<string, double>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Meter.Name == EventRouterDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        metrics.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        metrics.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        metrics.Start();

        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = instrument.Name + Tags(tags);
            lock (gate)
            {
                // Counters and histograms are summed; a gauge's reading replaces the last one.
                totals[key] = instrument is ObservableGauge<double> ? value : totals.GetValueOrDefault(key) + value;
            }
        }

        await using var server = new ModuleServer<InventoryModule>(new InventoryModule(), new ModuleServerOptions { Name = "inventory" });
        await server.StartAsync(CancellationToken.None).ConfigureAwait(false);
        var inventory = new InventoryModuleClient(server);
        ReserveStock.Inventory = inventory;
        var dispatcher = new EventDispatcher();

        Write("== traces (one line per span, as it ends) ==");
        // An awaited publish: publish span → listener span → module request → module handler, one trace.
        await dispatcher.PublishAsync(new OrderPlaced(1, "apple")).ConfigureAwait(false);

        // A fire-and-forget command: command span → handler span on the module's loop.
        await inventory.SendAsync(new Restock("pear", 2)).ConfigureAwait(false);

        // The dispatch loop: enqueue span, delivery spans on its workers under the same trace, a retry and a
        // dead letter for the order that cannot be reserved.
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            RetryPolicy = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(10), Jitter = 0 },
        });
        loop.Start();
        await loop.EnqueueAsync(new OrderPlaced(2, "plum")).ConfigureAwait(false);
        await loop.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await loop.DisposeAsync().ConfigureAwait(false);

        metrics.RecordObservableInstruments();
        await server.ShutdownAsync().ConfigureAwait(false);

        Write("");
        Write("== metrics (summed per instrument and tags) ==");
        lock (gate)
        {
            foreach (var (key, value) in totals.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"{key} = {value:0.######}");
            }
        }
        return 0;
    }

    private static string Describe(Activity span)
    {
        var status = span.Status == ActivityStatusCode.Error ? $" ERROR: {span.StatusDescription}" : "";
        var tags = string.Join(", ", span.TagObjects.Select(t => $"{t.Key}={t.Value}"));
        return $"{span.OperationName} [{span.Kind}] trace={span.TraceId.ToHexString()[..8]} span={span.SpanId.ToHexString()[..8]} " +
               $"parent={(span.ParentSpanId == default ? "-" : span.ParentSpanId.ToHexString()[..8])}{status}\n    {tags}";
    }

    private static string Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }
        var parts = new List<string>();
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}={tag.Value}");
        }
        parts.Sort(StringComparer.Ordinal);
        return "{" + string.Join(", ", parts) + "}";
    }
}
