using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Diagnostics;

/// <summary>
/// Every diagnostic of EventRouter, with fixed IDs. Ranges: ER0001–ER0099 listeners and events, ER0100–ER0199 module
/// servers, ER0200–ER0299 dispatch loop, ER0300–ER0399 reactor, ER0400–ER0499 broker. Never reuse or renumber an ID.
/// </summary>
internal static partial class DiagnosticDescriptors
{
    private const string HelpLinkBase = "https://github.com/eventrouter/eventrouter/blob/main/docs/diagnostics.md#";

    internal static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id.ToLowerInvariant());
}
