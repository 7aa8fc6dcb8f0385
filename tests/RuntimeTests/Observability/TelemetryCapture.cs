using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;

namespace EventRouter.Tests.Observability;

/// <summary>Captures EventRouter spans of one test's trace and every EventRouter measurement while alive.</summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters;
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivitySource _testSource = new("EventRouter.Tests." + Guid.NewGuid().ToString("N"));

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == EventRouterDiagnostics.ActivitySourceName || s == _testSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.Source.Name == EventRouterDiagnostics.ActivitySourceName && a.TraceId == Root?.TraceId)
                {
                    _spans.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == EventRouterDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _meters.Start();

        // Every span of this test hangs under this root, so parallel work elsewhere is not captured.
        Root = _testSource.StartActivity("test-root");
    }

    public Activity? Root { get; }

    public IReadOnlyList<Activity> Spans => _spans.ToArray();

    public void RecordObservableInstruments() => _meters.RecordObservableInstruments();

    public IReadOnlyList<(double Value, Dictionary<string, object?> Tags)> Measurements(string instrument) =>
        _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags)).ToList();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }
        _measurements.Enqueue((instrument.Name, value, copy));
    }

    public void Dispose()
    {
        Root?.Dispose();
        _activities.Dispose();
        _meters.Dispose();
        _testSource.Dispose();
    }

    /// <summary>A module's process span: a server-kind child of <paramref name="parent"/> in its trace, tagged with the module, not failed.</summary>
    public static void AssertProcessChildOf(Activity parent, Activity process, string module)
    {
        Xunit.Assert.Equal(ActivityKind.Server, process.Kind);
        Xunit.Assert.Equal(parent.TraceId, process.TraceId);
        Xunit.Assert.Equal(parent.SpanId, process.ParentSpanId);
        Xunit.Assert.Equal(module, process.GetTagItem("eventrouter.listener"));
        Xunit.Assert.Equal(ActivityStatusCode.Unset, process.Status);
    }
}
