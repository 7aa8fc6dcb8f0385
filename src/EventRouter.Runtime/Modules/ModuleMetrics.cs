using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace EventRouter.Modules;

/// <summary>
/// Module-server counters, on the runtime's one <c>EventRouter</c> meter (<see cref="Telemetry.Meter"/>) so a
/// listener sees them with every other instrument. Only failure paths record, so success stays free.
/// </summary>
internal static class ModuleMetrics
{
    private static readonly Counter<long> s_commandFailures = Telemetry.Meter.CreateCounter<long>(
        "eventrouter.module.command.failures", unit: "{command}", description: "Command handlers of module servers that threw.");

    private static readonly Counter<long> s_commandsDropped = Telemetry.Meter.CreateCounter<long>(
        "eventrouter.module.command.dropped", unit: "{command}", description: "Queued commands dropped by an immediate module shutdown.");

    public static void CommandFailed(string module) =>
        s_commandFailures.Add(1, new KeyValuePair<string, object?>(ModuleTelemetry.ModuleTag, module));

    public static void CommandsDropped(string module, long count) =>
        s_commandsDropped.Add(count, new KeyValuePair<string, object?>(ModuleTelemetry.ModuleTag, module));
}
