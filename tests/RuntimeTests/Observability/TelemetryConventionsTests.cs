using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Generated;
using EventRouter.Tests.Infrastructure;
using EventRouter.Modules;
using EventRouter.Tests.Modules;
using EventRouter.Tests.Publish;

namespace EventRouter.Tests.Observability;

/// <summary>
/// The OpenTelemetry conventions every span and instrument follows, checked over every kind of span the runtime
/// records (publish, listener, enqueue, retry, dead letter, module request, command and stream, their process spans) and
/// every instrument of the meter, so a new span or instrument cannot drift from them.
/// </summary>
[Collection(TelemetrySensitive.Name)]
public sealed class TelemetryConventionsTests
{
    private static readonly HashSet<string> OperationTypes = new(StringComparer.Ordinal) { "create", "send", "receive", "process", "settle" };

    [Fact]
    public async Task EverySpan_CarriesOperationTypeAndName_AndIsNamedOperationThenDestination()
    {
        using var capture = new TelemetryCapture();
        var dispatcher = new EventDispatcher();
        await dispatcher.PublishAsync(new OrderPlaced(1));
        await using (var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            RetryPolicy = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero, Jitter = 0 },
        }))
        {
            loop.Start();
            await loop.EnqueueAsync(new TracedJob(Guid.NewGuid().ToString("N"), Failures: 10));
            await loop.StopAsync(TimeSpan.FromSeconds(30));
        }
        await using (var server = new ModuleServer<TestModule>(new TestModule(), new ModuleServerOptions { RunInlineWhenIdle = false }))
        {
            await server.StartAsync(CancellationToken.None);
            var client = new TestModuleClient(server);
            await client.RequestAsync(new Echo(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            await client.SendAsync(new Note("n"));
            await server.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        await using (var server = new ModuleServer<StreamTestModule>(new StreamTestModule()))
        {
            await server.StartAsync(CancellationToken.None);
            var client = new StreamTestModuleClient(server);
            await foreach (var _ in client.StreamAsync(new CountTo(2)))
            {
            }
            // The stream's process span ends on the module's loop; the stop waits for it.
            await server.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }

        var spans = capture.Spans;
        var seen = spans.Select(s => (string?)s.GetTagItem("messaging.operation.name")).ToHashSet();
        Assert.Superset(new HashSet<string?> { "publish", "process", "enqueue", "retry", "dead_letter", "request", "command", "stream" }, seen);
        Assert.Contains(spans, s => s.OperationName == "process StreamTestModule/CountTo");
        Assert.All(spans, span =>
        {
            var type = span.GetTagItem("messaging.operation.type") as string;
            var name = span.GetTagItem("messaging.operation.name") as string;
            var destination = span.GetTagItem("messaging.destination.name") as string;
            Assert.Equal("eventrouter", span.GetTagItem("messaging.system"));
            Assert.True(type is not null && OperationTypes.Contains(type), $"{span.DisplayName}: operation type '{type}'");
            Assert.False(string.IsNullOrEmpty(name), span.DisplayName);
            Assert.False(string.IsNullOrEmpty(destination), span.DisplayName);
            Assert.Equal($"{name} {destination}", span.DisplayName);
            Assert.Null(span.GetTagItem("messaging.operation")); // replaced by operation.type and operation.name
            var expected = name switch
            {
                "process" => "process",
                "retry" or "dead_letter" => "settle",
                _ => "send",
            };
            Assert.Equal(expected, type);
        });
    }

    [Fact]
    public void EveryInstrument_HasAUnit_AndDurationsAreInSeconds()
    {
        // Instruments are created when their part first records; create them all.
        foreach (var type in typeof(EventDispatcherBase).Assembly.GetTypes())
        {
            if (type.IsGenericTypeDefinition)
            {
                continue;
            }
            var fields = type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
            if (fields.Any(f => typeof(Instrument).IsAssignableFrom(f.FieldType) || f.FieldType.Name == "InstanceGauge"))
            {
                RuntimeHelpers.RunClassConstructor(type.TypeHandle);
            }
        }
        var instruments = new List<Instrument>();
        using (var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == EventRouterDiagnostics.MeterName)
                {
                    lock (instruments)
                    {
                        instruments.Add(instrument);
                    }
                }
            },
        })
        {
            listener.Start();
        }

        // Exactly the instruments docs/observability.md lists, with the units it gives.
        var documented = File.ReadLines(Path.Combine(Repository.Root, "docs", "observability.md"))
            .Select(line => Regex.Match(line, @"^\| `(eventrouter\.[a-z_.]+)` \| [A-Za-z]+ \| `([^`]+)` \|"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(documented.Keys.Order(), instruments.Select(i => i.Name).Order());
        Assert.All(instruments, i => Assert.Equal(documented[i.Name], i.Unit));
        Assert.All(instruments, i =>
        {
            Assert.False(string.IsNullOrEmpty(i.Unit), $"{i.Name} has no unit");
            Assert.False(string.IsNullOrEmpty(i.Description), $"{i.Name} has no description");
            Assert.StartsWith("eventrouter.", i.Name, StringComparison.Ordinal);
            if (i.Name.EndsWith(".duration", StringComparison.Ordinal) || i.Name.Contains(".lag", StringComparison.Ordinal))
            {
                Assert.True(i.Unit == "s", $"{i.Name} is a duration in '{i.Unit}', not seconds");
            }
        });
        Assert.Equal(instruments.Count, instruments.Select(i => i.Name).Distinct().Count());
    }
}
