namespace EventRouter.Tests;

/// <summary>
/// Tests that attach process-wide ActivityListener/MeterListener instances, and tests that measure allocations
/// (which a listener attached by a parallel test would disturb), run in this collection: alone, never in parallel
/// with anything else.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetrySensitive
{
    public const string Name = "TelemetrySensitive";
}
