using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace EventRouter.Generator.Diagnostics.Analyzers;

/// <summary>
/// ER0011: the generated <c>EventDispatcher</c> created without a service provider (<c>new EventDispatcher()</c>, or a
/// <c>null</c> provider and no options) in a project that never registers the router in a container
/// (<c>AddEventRouter</c>), while a listener of this compilation has no parameterless constructor it can call:
/// publishing to that listener would throw at run time, so the build says so.
/// </summary>
/// <remarks>
/// Options passed to the constructor may carry a <c>ListenerFactory</c>, which is not known at compile time, so such a
/// creation is not reported.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DispatcherWithoutServicesAnalyzer : DiagnosticAnalyzer
{
    private const string GeneratedDispatcher = "EventRouter.Generated.EventDispatcher";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.ListenerNeedsServices);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(KnownNames.EventListenerAttribute);
            var dispatcher = start.Compilation.GetTypeByMetadataName(GeneratedDispatcher);
            if (attribute is null || dispatcher is null)
            {
                return;
            }
            var compilation = start.Compilation;
            var sites = new ConcurrentQueue<Location>();
            var registers = 0;
            start.RegisterOperationAction(op =>
            {
                var creation = (IObjectCreationOperation)op.Operation;
                if (SymbolEqualityComparer.Default.Equals(creation.Type, dispatcher) && CreatesWithoutServices(creation))
                {
                    sites.Enqueue(creation.Syntax.GetLocation());
                }
            }, OperationKind.ObjectCreation);
            start.RegisterOperationAction(op =>
            {
                if (((IInvocationOperation)op.Operation).TargetMethod is { Name: "AddEventRouter", ContainingNamespace: { } ns }
                    && ns.ToDisplayString() == "Microsoft.Extensions.DependencyInjection")
                {
                    Interlocked.Exchange(ref registers, 1);
                }
            }, OperationKind.Invocation);
            start.RegisterCompilationEndAction(end =>
            {
                if (sites.IsEmpty || Volatile.Read(ref registers) != 0)
                {
                    return; // a project with DI may create dispatchers without it on purpose, for listeners that need nothing
                }
                var listeners = ListenersWithoutConstructor(compilation, attribute, end.CancellationToken);
                if (listeners.Count == 0)
                {
                    return;
                }
                // One diagnostic per creation, naming the listeners (the first few): one per listener would repeat the site.
                var names = string.Join("', '", listeners.Take(3).Select(t => t.ToDisplayString()));
                var more = listeners.Count > 3 ? $" and {listeners.Count - 3} more" : string.Empty;
                foreach (var site in sites)
                {
                    end.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ListenerNeedsServices, site, $"'{names}'{more}"));
                }
            });
        });
    }

    /// <summary>True when every argument given is a null constant (or there is none): no provider and no options.</summary>
    private static bool CreatesWithoutServices(IObjectCreationOperation creation) =>
        creation.Arguments.All(argument =>
            argument.ArgumentKind == ArgumentKind.DefaultValue
            || (argument.Value is IConversionOperation { Operand: var operand } ? operand : argument.Value).ConstantValue is { HasValue: true, Value: null });

    private static List<INamedTypeSymbol> ListenersWithoutConstructor(Compilation compilation, INamedTypeSymbol attribute, CancellationToken cancellationToken)
    {
        var found = Symbols.SourceClassesMarked(compilation, attribute, cancellationToken)
            .Where(type => !type.IsAbstract && !Symbols.HasParameterlessConstructor(type, fromSource: true))
            .ToList();
        found.Sort((a, b) => string.CompareOrdinal(a.ToDisplayString(), b.ToDisplayString()));
        return found;
    }
}
