using System.Collections.Immutable;
using System.Linq;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Generator.Diagnostics.Analyzers;

/// <summary>
/// Reports the [EventListener] classes the generator skips. Diagnostics live here, not in the generator's cached
/// models, so that #pragma and .editorconfig suppressions work and the IDE shows them as you type.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ListenerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.ListenerWithoutInterface,
        DiagnosticDescriptors.ListenerNotConcrete,
        DiagnosticDescriptors.ListenerInaccessible,
        DiagnosticDescriptors.ListenerWithoutConstructor,
        DiagnosticDescriptors.EventTypeNotNameable);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(KnownNames.EventListenerAttribute);
            if (attribute is null)
            {
                return; // the project does not reference EventRouter
            }
            start.RegisterSymbolAction(symbol => AnalyzeType(symbol, attribute), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var marker = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
        if (marker is null)
        {
            return;
        }
        var location = marker.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation()
            ?? type.Locations.FirstOrDefault();
        var name = type.ToDisplayString();

        var descriptor = EventRouterGenerator.Parser.Validate(type, fromSource: true) switch
        {
            ListenerProblem.NoListenerInterface => DiagnosticDescriptors.ListenerWithoutInterface,
            ListenerProblem.NotConcrete => DiagnosticDescriptors.ListenerNotConcrete,
            ListenerProblem.Inaccessible => DiagnosticDescriptors.ListenerInaccessible,
            ListenerProblem.NoUsableConstructor => DiagnosticDescriptors.ListenerWithoutConstructor,
            _ => null,
        };
        if (descriptor is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(descriptor, location, name));
            return;
        }

        foreach (var (_, listened) in EventRouterGenerator.Parser.ListenerInterfaces(type))
        {
            if (!Symbols.IsNameable(listened, requirePublic: false))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.EventTypeNotNameable, location, name, listened.ToDisplayString()));
            }
        }
    }
}
