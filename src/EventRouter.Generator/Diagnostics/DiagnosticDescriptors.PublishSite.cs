using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Diagnostics;

internal static partial class DiagnosticDescriptors
{
    /// <summary>
    /// Info by default, not Warning: a library that publishes events for the applications that reference it has no
    /// listener in sight by design, and a default warning would break its warnings-as-errors build. Raise it with
    /// <c>dotnet_diagnostic.ER0010.severity = warning</c> in .editorconfig where every listener is in view (an app).
    /// </summary>
    public static readonly DiagnosticDescriptor PublishedEventWithoutListener = Create(
        "ER0010",
        "No listener handles the published event type",
        "No listener in this compilation or its references handles '{0}', so {1} delivers it to nobody",
        Usage,
        DiagnosticSeverity.Info);
}
