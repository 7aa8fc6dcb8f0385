namespace EventRouter.Tests.Observability;

public sealed class TelemetryVersionTests
{
    /// <summary>The version is a constant written at build time (no reflection at start-up): it must stay the assembly's.</summary>
    [Fact]
    public void SourceAndMeter_CarryTheAssemblyVersion()
    {
        var version = typeof(EventDispatcherBase).Assembly.GetName().Version!.ToString();

        Assert.Equal(version, Telemetry.Source.Version);
        Assert.Equal(version, Telemetry.Meter.Version);
    }
}
