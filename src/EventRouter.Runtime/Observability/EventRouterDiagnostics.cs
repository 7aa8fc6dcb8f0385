using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace EventRouter;

/// <summary>The names to subscribe to with OpenTelemetry (<c>AddSource</c>, <c>AddMeter</c>) or any listener.</summary>
public static class EventRouterDiagnostics
{
    /// <summary>The <see cref="ActivitySource"/> name: spans per publish, listener invocation, module request, connection event.</summary>
    public const string ActivitySourceName = "EventRouter";

    /// <summary>The <see cref="Meter"/> name: counters, histograms and gauges.</summary>
    public const string MeterName = "EventRouter";
}
