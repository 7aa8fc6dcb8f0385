using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace EventRouter.Generator.Diagnostics.Analyzers;

/// <summary>
/// ER0010: a call that publishes or enqueues an event whose static type no listener can receive — not in this
/// compilation, not exported by a referenced assembly (<c>[assembly: EventRouterAssembly]</c>), not through a base
/// class or interface, and not through a subtype the static type may hide at run time.
/// </summary>
/// <remarks>
/// Publish sites are <c>PublishAsync</c> and (for the dispatch loop) <c>EnqueueAsync</c>/<c>TryEnqueue</c> on a type of
/// the <c>EventRouter</c> namespace or one below it (<c>.Generated</c>, <c>.DispatchLoop</c>), or on a type deriving
/// from or implementing one. The event's static type is the argument's type before any implicit conversion (so
/// <c>EnqueueAsync(object)</c> still sees it); an argument typed <c>object</c> (or cast to it) or a type parameter is
/// not statically known and is never reported.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PublishSiteAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableHashSet<string> PublishMethods =
        ImmutableHashSet.Create(StringComparer.Ordinal, "PublishAsync", "EnqueueAsync", "TryEnqueue");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.PublishedEventWithoutListener);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var compilation = start.Compilation;
            var attribute = compilation.GetTypeByMetadataName(KnownNames.EventListenerAttribute);
            if (attribute is null)
            {
                return; // the project does not reference EventRouter
            }
            // Built on the first publish site only: most files publish nothing, and the walk is over every source type.
            var listened = new Lazy<ImmutableArray<ITypeSymbol>>(
                () => CollectListenedTypes(compilation, attribute, start.CancellationToken),
                LazyThreadSafetyMode.ExecutionAndPublication);
            start.RegisterOperationAction(op => AnalyzeInvocation(op, listened), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, Lazy<ImmutableArray<ITypeSymbol>> listened)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!PublishMethods.Contains(method.Name) || invocation.Arguments.Length == 0 || !IsRouterType(method.ContainingType))
        {
            return;
        }
        var argument = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0) ?? invocation.Arguments[0];
        var value = argument.Value;
        while (value is IConversionOperation { IsImplicit: true } conversion)
        {
            value = conversion.Operand;
        }
        var eventType = value.Type;
        if (eventType is null
            || eventType.SpecialType == SpecialType.System_Object
            || eventType.TypeKind is TypeKind.TypeParameter or TypeKind.Error or TypeKind.Dynamic
            || value.ConstantValue is { HasValue: true, Value: null })
        {
            return;
        }
        eventType = eventType.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
        if (listened.Value.Any(l => Reaches(l, eventType)))
        {
            return;
        }
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.PublishedEventWithoutListener,
            argument.Syntax.GetLocation(),
            eventType.ToDisplayString(),
            method.Name));
    }

    /// <summary>Whether a listener of <paramref name="listened"/> can receive an event whose static type is <paramref name="published"/>.</summary>
    private static bool Reaches(ITypeSymbol listened, ITypeSymbol published)
    {
        if (listened.SpecialType == SpecialType.System_Object || SymbolEqualityComparer.Default.Equals(listened, published))
        {
            return true;
        }
        // The listener takes a base class or interface of the event.
        if (IsBaseOf(listened, published))
        {
            return true;
        }
        // The static type is a base of a listened type: at run time the event may be that subtype.
        return IsBaseOf(published, listened);
    }

    private static bool IsBaseOf(ITypeSymbol candidateBase, ITypeSymbol type)
    {
        for (var b = type.BaseType; b is not null; b = b.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(b, candidateBase))
            {
                return true;
            }
        }
        return type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, candidateBase));
    }

    private static bool IsRouterType(INamedTypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }
        if (IsRouterNamespace(type))
        {
            return true;
        }
        for (var b = type.BaseType; b is not null; b = b.BaseType)
        {
            if (IsRouterNamespace(b))
            {
                return true;
            }
        }
        return type.AllInterfaces.Any(IsRouterNamespace);
    }

    private static bool IsRouterNamespace(INamedTypeSymbol type)
    {
        var ns = type.ContainingNamespace;
        if (ns is null || ns.IsGlobalNamespace)
        {
            return false;
        }
        var name = ns.ToDisplayString();
        return name == "EventRouter" || name.StartsWith("EventRouter.", StringComparison.Ordinal); // .Generated, .DispatchLoop, ...
    }

    /// <summary>Every <c>T</c> of <c>IEventListener&lt;T&gt;</c> on [EventListener] classes of this compilation and on listeners exported by references.</summary>
    private static ImmutableArray<ITypeSymbol> CollectListenedTypes(Compilation compilation, INamedTypeSymbol attribute, CancellationToken cancellationToken)
    {
        var result = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var type in Symbols.SourceClassesMarked(compilation, attribute, cancellationToken))
        {
            AddListened(type, result);
        }

        var marker = compilation.GetTypeByMetadataName(KnownNames.EventRouterAssemblyAttribute);
        if (marker is not null)
        {
            foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                foreach (var data in assembly.GetAttributes())
                {
                    if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, marker)
                        && data.ConstructorArguments.Length == 2
                        && data.ConstructorArguments[0].Kind == TypedConstantKind.Array)
                    {
                        foreach (var listener in data.ConstructorArguments[0].Values.Select(v => v.Value).OfType<INamedTypeSymbol>())
                        {
                            AddListened(listener, result);
                        }
                    }
                }
            }
        }
        return result.ToImmutableArray();
    }

    private static void AddListened(INamedTypeSymbol listener, HashSet<ITypeSymbol> result)
    {
        foreach (var (_, listened) in EventRouterGenerator.Parser.ListenerInterfaces(listener))
        {
            result.Add(listened);
        }
    }
}
