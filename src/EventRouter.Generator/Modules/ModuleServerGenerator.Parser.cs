using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using EventRouter.Generator.Modules.Models;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Modules;

public sealed partial class ModuleServerGenerator
{
    /// <summary>Symbols to models. The only code of this generator that touches <see cref="ISymbol"/>; never throws.</summary>
    internal static class Parser
    {
        /// <summary>Type names as generated code writes them: <c>global::</c> qualified, nullable annotations kept.</summary>
        internal static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>The same, without nullable annotations: two handlers of <c>A</c> and <c>A?</c> handle the same type.</summary>
        internal static readonly SymbolDisplayFormat KeyFormat = SymbolDisplayFormat.FullyQualifiedFormat;

        public static ModuleModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type)
            {
                return null;
            }
            var compilation = context.SemanticModel.Compilation;
            if (GetShapeProblem(type) is not null || !IsPartial(type, cancellationToken) || ClientNameClash(type) is not null)
            {
                return null;
            }
            var handlers = GetHandlers(type, compilation);
            if (handlers is null)
            {
                return null;
            }
            cancellationToken.ThrowIfCancellationRequested();

            var duplicates = new HashSet<string>(
                handlers.Requests.GroupBy(static r => r.Key, StringComparer.Ordinal).Where(static g => g.Count() > 1).Select(static g => g.Key),
                StringComparer.Ordinal);
            var requests = handlers.Requests
                .Where(r => !duplicates.Contains(r.Key))
                .Select(static r => new ModuleRequestModel(r.RequestType, r.ResponseType) { AssignableTo = r.AssignableTo })
                .OrderBy(static r => r.RequestType, StringComparer.Ordinal)
                .ToEquatableArray();
            var commands = handlers.Commands
                .OrderBy(static c => c.CommandType, StringComparer.Ordinal)
                .ToEquatableArray();
            var unsupported = new HashSet<string>(StreamProblems(handlers).Select(static p => p.Key), StringComparer.Ordinal);
            var streams = handlers.Streams
                .Where(r => !unsupported.Contains(r.Key))
                .Select(static r => new ModuleStreamModel(r.RequestType, r.ResponseType) { AssignableTo = r.AssignableTo })
                .OrderBy(static r => r.RequestType, StringComparer.Ordinal)
                .ToEquatableArray();

            var isPublic = IsEffectivelyPublic(type) && handlers.AllTypesPublic;
            var ns = type.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() : string.Empty;
            return new ModuleModel(ns, type.Name, type.ToDisplayString(KeyFormat), isPublic, requests, commands) { Streams = streams };
        }

        /// <summary>Why a module class cannot have a generated client (ER0102), or null when its shape is fine.</summary>
        public static string? GetShapeProblem(INamedTypeSymbol type)
        {
            if (type.TypeKind != TypeKind.Class)
            {
                return type.TypeKind == TypeKind.Struct ? "a struct" : "not a class";
            }
            if (type.IsStatic)
            {
                return "static";
            }
            if (type.IsAbstract)
            {
                return "abstract";
            }
            if (type.IsRecord)
            {
                return "a record";
            }
            if (type.IsGenericType)
            {
                return "generic";
            }
            if (type.ContainingType is not null)
            {
                return "nested in another type";
            }
            if (type.IsFileLocal || type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal))
            {
                return "file-local";
            }
            return null;
        }

        /// <summary>A type, other than the generated client itself, that already has the client's name (ER0105); null when the name is free.</summary>
        public static INamedTypeSymbol? ClientNameClash(INamedTypeSymbol type) =>
            type.ContainingNamespace?.GetTypeMembers(type.Name + "Client", 0).FirstOrDefault(static t => !IsGeneratedHere(t));

        private static bool IsGeneratedHere(INamedTypeSymbol type) =>
            type.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == "System.CodeDom.Compiler.GeneratedCodeAttribute"
                && a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value as string == KnownNames.GeneratorName);

        public static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is not ClassDeclarationSyntax declaration
                    || !declaration.Modifiers.Any(static m => m.IsKind(SyntaxKind.PartialKeyword)))
                {
                    return false;
                }
            }
            return type.DeclaringSyntaxReferences.Length > 0;
        }

        /// <summary>A request or stream request handler; for a stream, <see cref="ResponseType"/> is the item type.</summary>
        internal sealed record RequestHandler(string Key, string RequestType, string ResponseType, EquatableArray<string> AssignableTo);

        /// <summary>
        /// The stream request types the generator cannot give a <c>StreamAsync</c> (ER0106), each with why: streamed more
        /// than once (the overloads would differ only in their return type), or also answered as a request (a message
        /// type has one handler per module, so a transport can tell what it is).
        /// </summary>
        public static IEnumerable<(string Key, string Problem)> StreamProblems(Handlers handlers)
        {
            var requests = handlers.Requests.ToLookup(static r => r.Key, StringComparer.Ordinal);
            foreach (var group in handlers.Streams.GroupBy(static r => r.Key, StringComparer.Ordinal).OrderBy(static g => g.Key, StringComparer.Ordinal))
            {
                if (group.Count() > 1)
                {
                    yield return (group.Key, "it is streamed more than once (items " + string.Join(", ", group.Select(static r => Display(r.ResponseType))) + "); a stream request type must have exactly one handler");
                }
                else if (requests[group.Key].FirstOrDefault() is { } request)
                {
                    yield return (group.Key, "it is also answered as a request (response " + Display(request.ResponseType) + "); a message type is either a request or a stream request of its module");
                }
            }
        }

        private static string Display(string type) => type.Replace("global::", string.Empty);

        internal sealed class Handlers
        {
            public List<RequestHandler> Requests { get; } = new();
            public List<RequestHandler> Streams { get; } = new();
            public List<ModuleCommandModel> Commands { get; } = new();
            public bool AllTypesPublic { get; set; } = true;

            /// <summary>
            /// Message types a client in the module's namespace cannot name (private or protected nested types). The compiler
            /// already reports them (CS0060); the generator leaves their handlers out so it adds no errors of its own.
            /// </summary>
            public List<ITypeSymbol> Invisible { get; } = new();
        }

        /// <summary>The handler interfaces a module implements (its own or inherited). Null when the runtime is not referenced.</summary>
        public static Handlers? GetHandlers(INamedTypeSymbol type, Compilation compilation)
        {
            var requestInterface = compilation.GetTypeByMetadataName(KnownNames.RequestHandlerInterface);
            var commandInterface = compilation.GetTypeByMetadataName(KnownNames.CommandHandlerInterface);
            var streamInterface = compilation.GetTypeByMetadataName(KnownNames.StreamRequestHandlerInterface);
            if (requestInterface is null || commandInterface is null)
            {
                return null;
            }
            var result = new Handlers();
            foreach (var iface in type.AllInterfaces)
            {
                var definition = iface.OriginalDefinition;
                var isStream = streamInterface is not null && SymbolEqualityComparer.Default.Equals(definition, streamInterface);
                if (isStream || SymbolEqualityComparer.Default.Equals(definition, requestInterface))
                {
                    var request = iface.TypeArguments[0];
                    var response = iface.TypeArguments[1];
                    if (request.TypeKind == TypeKind.Error || response.TypeKind == TypeKind.Error)
                    {
                        continue;
                    }
                    if (!IsVisibleInAssembly(request) || !IsVisibleInAssembly(response))
                    {
                        result.Invisible.Add(IsVisibleInAssembly(request) ? response : request);
                        continue;
                    }
                    result.AllTypesPublic &= IsEffectivelyPublic(request) && IsEffectivelyPublic(response);
                    (isStream ? result.Streams : result.Requests).Add(new RequestHandler(request.ToDisplayString(KeyFormat), request.ToDisplayString(TypeFormat), response.ToDisplayString(TypeFormat), AssignableTo(request)));
                }
                else if (SymbolEqualityComparer.Default.Equals(definition, commandInterface))
                {
                    var command = iface.TypeArguments[0];
                    if (command.TypeKind == TypeKind.Error)
                    {
                        continue;
                    }
                    if (!IsVisibleInAssembly(command))
                    {
                        result.Invisible.Add(command);
                        continue;
                    }
                    result.AllTypesPublic &= IsEffectivelyPublic(command);
                    result.Commands.Add(new ModuleCommandModel(command.ToDisplayString(TypeFormat)) { AssignableTo = AssignableTo(command) });
                }
            }
            return result;
        }

        /// <summary>
        /// The type, its base classes (but object) and its interfaces, sorted: a filter with <c>AppliesTo = typeof(X)</c>
        /// wraps the handler when X is among them. Same format as the filter's <c>AppliesTo</c> name.
        /// </summary>
        private static EquatableArray<string> AssignableTo(ITypeSymbol type)
        {
            var names = new List<string> { type.ToDisplayString(KeyFormat) };
            for (var b = type.BaseType; b is not null && b.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); b = b.BaseType)
            {
                names.Add(b.ToDisplayString(KeyFormat));
            }
            names.AddRange(type.AllInterfaces.Select(static i => i.ToDisplayString(KeyFormat)));
            return names.Distinct(StringComparer.Ordinal).OrderBy(static n => n, StringComparer.Ordinal).ToEquatableArray();
        }

        /// <summary>Public all the way out, including every type argument (an internal type in a public signature does not compile).</summary>
        public static bool IsEffectivelyPublic(ITypeSymbol type)
        {
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return IsEffectivelyPublic(array.ElementType);
                case ITypeParameterSymbol:
                    return false;
                case INamedTypeSymbol named:
                    for (ISymbol? s = named; s is INamedTypeSymbol current; s = current.ContainingType)
                    {
                        if (current.DeclaredAccessibility != Accessibility.Public)
                        {
                            return false;
                        }
                    }
                    return named.TypeArguments.All(IsEffectivelyPublic);
                default:
                    return true;
            }
        }

        /// <summary>At least internal all the way out: a private or protected nested type cannot appear on the generated client.</summary>
        public static bool IsVisibleInAssembly(ITypeSymbol type)
        {
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return IsVisibleInAssembly(array.ElementType);
                case ITypeParameterSymbol:
                    return false;
                case INamedTypeSymbol named:
                    for (ISymbol? s = named; s is INamedTypeSymbol current; s = current.ContainingType)
                    {
                        if (current.IsFileLocal || current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
                        {
                            return false;
                        }
                    }
                    return named.TypeArguments.All(IsVisibleInAssembly);
                default:
                    return true;
            }
        }
    }
}
