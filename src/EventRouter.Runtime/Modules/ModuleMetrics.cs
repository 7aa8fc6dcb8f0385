using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace EventRouter.Modules;

/// <summary>Module-server instruments on the <c>EventRouter</c> meter. Only failure paths record, so success stays free.</summary>
internal static class ModuleMetrics
{
    private static readonly Meter s_meter = new("EventRouter");

    private static readonly Counter<long> s_commandFailures = s_meter.CreateCounter<long>(
        "eventrouter.module.command.failures", unit: "{command}", description: "Command handlers of module servers that threw.");

    private static readonly Counter<long> s_commandsDropped = s_meter.CreateCounter<long>(
        "eventrouter.module.command.dropped", unit: "{command}", description: "Queued commands dropped by an immediate module shutdown.");

    public static void CommandFailed(string module) =>
        s_commandFailures.Add(1, new KeyValuePair<string, object?>("eventrouter.module", module));

    public static void CommandsDropped(string module, long count) =>
        s_commandsDropped.Add(count, new KeyValuePair<string, object?>("eventrouter.module", module));
}
