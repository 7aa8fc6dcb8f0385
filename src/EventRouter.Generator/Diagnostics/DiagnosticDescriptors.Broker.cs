using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Diagnostics;

internal static partial class DiagnosticDescriptors
{
    private const string Broker = "EventRouter.Broker";

    public static readonly DiagnosticDescriptor BrokerEventNotInJsonContext = Create(
        "ER0400",
        "Event crosses the broker but is not in the JSON context",
        "Event '{0}' crosses the broker but '{1}' cannot serialize it: add [JsonSerializable(typeof({2}))] to '{1}'",
        Broker,
        DiagnosticSeverity.Error);
}
