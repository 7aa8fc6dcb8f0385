using System.Collections.Immutable;
using System.Linq;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Generator.Diagnostics.Analyzers;

/// <summary>
/// Reports the mistakes in <c>[ModuleServer]</c> classes that make the generator skip them or part of them
/// (ER0100–ER0106). Diagnostics come from here, not from the generator's cached models, so <c>#pragma</c> and
/// editorconfig suppression work.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ModuleServerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.ModuleServerNotPartial,
        DiagnosticDescriptors.DuplicateRequestHandler,
        DiagnosticDescriptors.InvalidModuleServerShape,
        DiagnosticDescriptors.HandlerMethodNotRouted,
        DiagnosticDescriptors.ModuleHandlesNothing,
        DiagnosticDescriptors.ClientNameTaken,
        DiagnosticDescriptors.UnsupportedStreamHandler);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(KnownNames.ModuleServerAttribute);
            if (attribute is null)
            {
                return;
            }
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, attribute), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var attributeData = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
        if (attributeData is null)
        {
            return;
        }
        var location = IdentifierLocation(type, context.CancellationToken);
        var name = type.Name;

        if (ModuleServerGenerator.Parser.GetShapeProblem(type) is { } problem)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidModuleServerShape, location, name, problem));
            return;
        }
        if (ModuleServerGenerator.Parser.ClientNameClash(type) is { } taken)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ClientNameTaken, location, name, taken.ToDisplayString()));
        }
        if (!ModuleServerGenerator.Parser.IsPartial(type, context.CancellationToken))
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ModuleServerNotPartial, location, name));
        }

        var handlers = ModuleServerGenerator.Parser.GetHandlers(type, context.Compilation);
        if (handlers is null)
        {
            return;
        }
        foreach (var group in handlers.Requests.GroupBy(static r => r.Key, System.StringComparer.Ordinal).Where(static g => g.Count() > 1).OrderBy(static g => g.Key, System.StringComparer.Ordinal))
        {
            var responses = string.Join(", ", group.Select(static r => r.ResponseType.Replace("global::", string.Empty)));
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateRequestHandler, location, name,
                group.Key.Replace("global::", string.Empty), responses));
        }
        foreach (var (key, why) in ModuleServerGenerator.Parser.StreamProblems(handlers))
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedStreamHandler, location, name,
                key.Replace("global::", string.Empty), why));
        }
        if (handlers.Requests.Count == 0 && handlers.Commands.Count == 0 && handlers.Streams.Count == 0 && handlers.Invisible.Count == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ModuleHandlesNothing, location, name));
        }

        ReportUnroutedHandleMethods(context, type);
    }

    /// <summary>ER0103: a HandleAsync method that implements no handler interface member receives nothing.</summary>
    private static void ReportUnroutedHandleMethods(SymbolAnalysisContext context, INamedTypeSymbol type)
    {
        var implemented = ImmutableHashSet.CreateBuilder<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (var iface in type.AllInterfaces)
        {
            var metadataName = iface.OriginalDefinition.ContainingNamespace?.ToDisplayString() + "." + iface.OriginalDefinition.MetadataName;
            if (metadataName is not (KnownNames.RequestHandlerInterface or KnownNames.CommandHandlerInterface or KnownNames.StreamRequestHandlerInterface))
            {
                continue;
            }
            foreach (var member in iface.GetMembers(KnownNames.HandlerMethodName).OfType<IMethodSymbol>())
            {
                if (type.FindImplementationForInterfaceMember(member) is IMethodSymbol implementation)
                {
                    implemented.Add(implementation);
                }
            }
        }
        foreach (var method in type.GetMembers(KnownNames.HandlerMethodName).OfType<IMethodSymbol>())
        {
            if (method.MethodKind == MethodKind.Ordinary && !method.IsStatic && !implemented.Contains(method))
            {
                var location = method.Locations.FirstOrDefault() ?? Location.None;
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.HandlerMethodNotRouted, location, type.Name, method.Name));
            }
        }
    }

    private static Location IdentifierLocation(INamedTypeSymbol type, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is ClassDeclarationSyntax declaration)
            {
                return declaration.Identifier.GetLocation();
            }
        }
        return type.Locations.FirstOrDefault() ?? Location.None;
    }
}
