using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace EventRouter.Generator.Diagnostics.Analyzers;

/// <summary>
/// ER0400: in a method that configures <c>RabbitMQOptions</c> (<c>AddEventRouterRabbitMQ(o =&gt; …)</c>), an event opted
/// in with <c>CrossBroker&lt;T&gt;()</c> or <c>CrossBroker("name")</c> must be a <c>[JsonSerializable]</c> root of the
/// context assigned to <c>JsonContext</c> there. Without this check the mistake shows only at start-up.
/// </summary>
/// <remarks>
/// Silent when the method assigns no context or several (the start-up check still applies), and for names it cannot
/// resolve to an event type of this compilation or of an assembly that references EventRouter.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BrokerSerializationAnalyzer : DiagnosticAnalyzer
{
    private const string OptionsMetadataName = "EventRouter.RabbitMQ.RabbitMQOptions";
    private const string JsonSerializableMetadataName = "System.Text.Json.Serialization.JsonSerializableAttribute";
    private const string EventAttributeMetadataName = "EventRouter.EventAttribute";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.BrokerEventNotInJsonContext);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var options = start.Compilation.GetTypeByMetadataName(OptionsMetadataName);
            var serializable = start.Compilation.GetTypeByMetadataName(JsonSerializableMetadataName);
            if (options is null || serializable is null)
            {
                return; // the project does not use the broker
            }
            var eventAttribute = start.Compilation.GetTypeByMetadataName(EventAttributeMetadataName);
            var compilation = start.Compilation;
            // Built once, and only when a method actually opts an event in by name.
            var eventsByName = new Lazy<Dictionary<string, INamedTypeSymbol>>(
                () => IndexEvents(compilation, eventAttribute), LazyThreadSafetyMode.ExecutionAndPublication);

            start.RegisterOperationBlockStartAction(block =>
            {
                var crossings = new ConcurrentQueue<(ITypeSymbol? Type, string? Name, Location Location)>();
                var contexts = new ConcurrentQueue<INamedTypeSymbol>();

                block.RegisterOperationAction(operation =>
                {
                    var invocation = (IInvocationOperation)operation.Operation;
                    var method = invocation.TargetMethod;
                    if (method.Name != "CrossBroker" || !SymbolEqualityComparer.Default.Equals(method.ContainingType, options))
                    {
                        return;
                    }
                    var location = invocation.Syntax.GetLocation();
                    if (method.IsGenericMethod)
                    {
                        crossings.Enqueue((method.TypeArguments[0], null, location));
                        return;
                    }
                    foreach (var argument in invocation.Arguments)
                    {
                        var values = argument.Value is IArrayCreationOperation { Initializer: { } initializer }
                            ? initializer.ElementValues
                            : ImmutableArray.Create(argument.Value);
                        foreach (var value in values)
                        {
                            if (value.ConstantValue is { HasValue: true, Value: string name })
                            {
                                crossings.Enqueue((null, name, value.Syntax.GetLocation()));
                            }
                        }
                    }
                }, OperationKind.Invocation);

                block.RegisterOperationAction(operation =>
                {
                    var assignment = (ISimpleAssignmentOperation)operation.Operation;
                    if (assignment.Target is IPropertyReferenceOperation { Property: { Name: "JsonContext" } property }
                        && SymbolEqualityComparer.Default.Equals(property.ContainingType, options))
                    {
                        var value = assignment.Value is IConversionOperation conversion ? conversion.Operand : assignment.Value;
                        if (value.Type is INamedTypeSymbol { TypeKind: not TypeKind.Error } contextType)
                        {
                            contexts.Enqueue(contextType);
                        }
                    }
                }, OperationKind.SimpleAssignment);

                block.RegisterOperationBlockEndAction(end =>
                {
                    var distinct = contexts.Distinct<INamedTypeSymbol>(SymbolEqualityComparer.Default).ToList();
                    if (distinct.Count != 1 || crossings.IsEmpty)
                    {
                        return;
                    }
                    var contextType = distinct[0];
                    var roots = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
                    foreach (var attribute in contextType.GetAttributes())
                    {
                        if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, serializable)
                            && attribute.ConstructorArguments.Length > 0
                            && attribute.ConstructorArguments[0].Value is ITypeSymbol root)
                        {
                            roots.Add(root);
                        }
                    }
                    foreach (var (type, name, location) in crossings.OrderBy(c => c.Location.SourceSpan.Start))
                    {
                        var eventType = type ?? (name is not null && eventsByName.Value.TryGetValue(name, out var found) ? found : null);
                        if (eventType is null || eventType.TypeKind == TypeKind.TypeParameter || roots.Contains(eventType))
                        {
                            continue;
                        }
                        var typeName = eventType.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);
                        end.ReportDiagnostic(Diagnostic.Create(
                            DiagnosticDescriptors.BrokerEventNotInJsonContext, location,
                            name ?? EventName(eventType, eventAttribute), contextType.Name, typeName));
                    }
                });
            });
        });
    }

    private static string EventName(ITypeSymbol type, INamedTypeSymbol? eventAttribute) =>
        type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, eventAttribute))
            ?.ConstructorArguments.FirstOrDefault().Value as string
        ?? type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted));

    /// <summary>The [Event]-named types of this compilation and of the assemblies that reference EventRouter, by name.</summary>
    private static Dictionary<string, INamedTypeSymbol> IndexEvents(Compilation compilation, INamedTypeSymbol? eventAttribute)
    {
        var index = new Dictionary<string, INamedTypeSymbol>(StringComparer.Ordinal);
        var assemblies = new List<IAssemblySymbol> { compilation.Assembly };
        assemblies.AddRange(compilation.SourceModule.ReferencedAssemblySymbols.Where(a =>
            a.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == "EventRouter"))));
        foreach (var assembly in assemblies)
        {
            var pending = new Stack<INamespaceOrTypeSymbol>();
            pending.Push(assembly.GlobalNamespace);
            while (pending.Count > 0)
            {
                foreach (var member in pending.Pop().GetMembers())
                {
                    if (member is INamespaceSymbol ns)
                    {
                        pending.Push(ns);
                    }
                    else if (member is INamedTypeSymbol type)
                    {
                        pending.Push(type);
                        var named = eventAttribute is null ? null : type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, eventAttribute));
                        if (named?.ConstructorArguments.FirstOrDefault().Value is string name)
                        {
                            index[name] = type;
                        }
                    }
                }
            }
        }
        return index;
    }
}
