using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Generator.Diagnostics.Analyzers;

/// <summary>
/// Reports [EventFilter] classes the generators cannot use (ER0006) and ambiguous filter order (ER0007), for event
/// filters and module filters alike.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FilterAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.InvalidFilter,
        DiagnosticDescriptors.FilterOrderConflict);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(KnownNames.EventFilterAttribute);
            if (attribute is null)
            {
                return;
            }
            var valid = new ConcurrentBag<(INamedTypeSymbol Type, int Order, FilterKinds Kinds, Location Location)>();
            start.RegisterSymbolAction(symbolContext =>
            {
                var type = (INamedTypeSymbol)symbolContext.Symbol;
                var marker = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
                if (marker is null)
                {
                    return;
                }
                var location = marker.ApplicationSyntaxReference?.GetSyntax(symbolContext.CancellationToken).GetLocation() ?? type.Locations.FirstOrDefault();
                var reason = FilterParser.Validate(type) switch
                {
                    FilterProblem.NotAFilter => "implements neither IEventFilter nor IModuleFilter",
                    FilterProblem.NotConcrete => "is abstract, static or generic",
                    FilterProblem.Inaccessible => "is not accessible to the generated code (make it public or internal)",
                    FilterProblem.NoUsableConstructor => "has no public or internal constructor",
                    _ => null,
                };
                if (reason is not null)
                {
                    symbolContext.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidFilter, location, type.ToDisplayString(), reason));
                    return;
                }
                var order = marker.NamedArguments.FirstOrDefault(a => a.Key == "Order").Value.Value as int? ?? 0;
                valid.Add((type, order, FilterParser.KindsOf(type), location ?? Location.None));
            }, SymbolKind.NamedType);

            // Needs every filter of the compilation, so it runs once at the end. Two filters conflict only when they can
            // meet in one chain: both wrap listeners, or both wrap module handlers. Each filter is reported once, against
            // the nearest earlier filter (by name) it conflicts with.
            start.RegisterCompilationEndAction(end =>
            {
                foreach (var group in valid.GroupBy(f => f.Order))
                {
                    var sorted = group.OrderBy(f => f.Type.ToDisplayString(), System.StringComparer.Ordinal).ToList();
                    for (var i = 1; i < sorted.Count; i++)
                    {
                        var earlier = sorted.Take(i).LastOrDefault(f => (f.Kinds & sorted[i].Kinds) != 0);
                        if (earlier.Type is not null)
                        {
                            end.ReportDiagnostic(Diagnostic.Create(
                                DiagnosticDescriptors.FilterOrderConflict, sorted[i].Location,
                                earlier.Type.ToDisplayString(), sorted[i].Type.ToDisplayString(), group.Key));
                        }
                    }
                }
            });
        });
    }
}
