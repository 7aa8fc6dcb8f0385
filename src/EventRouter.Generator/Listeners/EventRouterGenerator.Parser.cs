using System.Collections.Generic;
using System.Linq;
using System.Threading;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static EventRouter.Generator.Shared.Symbols;

namespace EventRouter.Generator.Listeners;

/// <summary>What is wrong with an [EventListener] class; shared by the parser (which skips it) and the analyzer (which reports it).</summary>
internal enum ListenerProblem
{
    None,
    NoListenerInterface,
    NotConcrete,
    Inaccessible,
    NoUsableConstructor,
}

public sealed partial class EventRouterGenerator
{
    /// <summary>The only code that touches symbols: turns them into equatable models.</summary>
    internal static class Parser
    {
        /// <summary>A listener model, or null when the class is invalid (the analyzer reports why).</summary>
        public static ListenerModel? ParseListener(INamedTypeSymbol type, bool fromSource, AttributeData? attribute)
        {
            if (Validate(type, fromSource) != ListenerProblem.None)
            {
                return null;
            }

            var handles = new List<HandledEventModel>();
            foreach (var (iface, listened) in ListenerInterfaces(type))
            {
                // An event type the generated code cannot name, or that cannot be an event, is skipped here and reported by the analyzer.
                if (!IsNameable(listened, requirePublic: !fromSource, type.ContainingAssembly) || IsNullableValueType(listened))
                {
                    continue;
                }
                var model = ParseEventType(listened);
                var annotated = TypeNames.FullName(listened, annotateNested: true);
                handles.Add(new HandledEventModel(model, IsDirectCall(type, iface, fromSource))
                {
                    AnnotatedName = annotated == model.FullName ? null : annotated,
                });
            }
            if (handles.Count == 0)
            {
                return null;
            }

            attribute ??= type.GetAttributes().FirstOrDefault(a => IsNamed(a.AttributeClass, KnownNames.EventListenerAttribute));
            var lifetime = ListenerLifetime.Singleton;
            if (attribute is not null)
            {
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "Lifetime" && named.Value.Value is int value)
                    {
                        // A value outside the enum (a cast int) is a singleton, as the runtime treats it.
                        lifetime = value switch { 1 => ListenerLifetime.Scoped, 2 => ListenerLifetime.Transient, _ => ListenerLifetime.Singleton };
                    }
                }
            }

            return new ListenerModel(
                FullName(type),
                type.ToDisplayString(DisplayFormat),
                lifetime,
                HasParameterlessConstructor(type, fromSource),
                IsPublic(type),
                fromSource,
                handles.OrderBy(h => h.Event.FullName, System.StringComparer.Ordinal).ToEquatableArray())
            {
                SatisfiesNewConstraint = !type.IsAbstract
                    && type.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public),
            };
        }

        public static ListenerProblem Validate(INamedTypeSymbol type, bool fromSource)
        {
            if (type.TypeKind != TypeKind.Class || type.IsAbstract || type.IsStatic || type.TypeParameters.Length > 0 || ContainsTypeParameters(type))
            {
                return ListenerProblem.NotConcrete;
            }
            if (!IsNameable(type, requirePublic: !fromSource))
            {
                return ListenerProblem.Inaccessible;
            }
            if (!type.AllInterfaces.Any(IsListenerInterface))
            {
                return ListenerProblem.NoListenerInterface;
            }
            // DI and the generated code both need a constructor they can call.
            var usable = type.InstanceConstructors.Any(c =>
                c.DeclaredAccessibility == Accessibility.Public
                || (fromSource && c.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedOrInternal));
            return usable ? ListenerProblem.None : ListenerProblem.NoUsableConstructor;
        }

        /// <summary>Every <c>IEventListener&lt;T&gt;</c> the type implements, with <c>T</c>, in a stable order.</summary>
        public static IEnumerable<(INamedTypeSymbol Interface, ITypeSymbol Listened)> ListenerInterfaces(INamedTypeSymbol type) =>
            type.AllInterfaces
                .Where(IsListenerInterface)
                .Select(i => (i, i.TypeArguments[0].WithNullableAnnotation(NullableAnnotation.NotAnnotated)))
                .OrderBy(p => FullName(p.Item2), System.StringComparer.Ordinal);

        private static bool IsListenerInterface(INamedTypeSymbol i) => i.IsGenericType && IsNamed(i, KnownNames.EventListenerInterface);

        public static EventTypeModel ParseEventType(ITypeSymbol type)
        {
            type = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
            var display = type.ToDisplayString(DisplayFormat);
            var bases = new List<string>();
            for (var b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
            {
                if (b.SpecialType is SpecialType.System_ValueType)
                {
                    break;
                }
                bases.Add(FullName(b));
            }
            bases.AddRange(type.AllInterfaces.Select(FullName));
            bases.Sort(System.StringComparer.Ordinal);

            var isConcrete = type is INamedTypeSymbol named
                && type.TypeKind is TypeKind.Class or TypeKind.Struct or TypeKind.Enum or TypeKind.Delegate
                && !type.IsAbstract && !type.IsStatic && !named.IsUnboundGenericType
                && !ContainsTypeParameters(named)
                && type.SpecialType != SpecialType.System_Object;

            var (id, partitionKey) = KeyMembers(type);
            return new EventTypeModel(
                FullName(type),
                display,
                EventName(type) ?? display,
                type.IsValueType,
                type.IsValueType || type.IsSealed,
                isConcrete,
                IsPublic(type),
                bases.Distinct().ToEquatableArray(),
                id,
                partitionKey);
        }

        /// <summary>For the candidate scan: a concrete type with a base list that could be an event of a listened base type.</summary>
        public static EventTypeModel? ParseEventCandidate(ISymbol? symbol)
        {
            if (symbol is not INamedTypeSymbol type
                || type.TypeParameters.Length > 0 || type.IsAbstract || type.IsStatic
                || type.TypeKind is not (TypeKind.Class or TypeKind.Struct)
                || !IsNameable(type, requirePublic: false))
            {
                return null;
            }
            var model = ParseEventType(type);
            return model.IsConcrete && model.BaseTypes.Count > 0 ? model : null;
        }

        /// <summary>A type marked [Event], or null when generated code cannot name it or it is generic.</summary>
        public static EventTypeModel? ParseNamedEvent(INamedTypeSymbol type) =>
            type.TypeParameters.Length == 0 && IsNameable(type, requirePublic: false) ? ParseEventType(type) : null;

        /// <summary>Listeners and events exported by referenced assemblies that use EventRouter.</summary>
        public static ReferencedModel ParseReferences(Compilation compilation, CancellationToken cancellationToken)
        {
            var marker = compilation.GetTypeByMetadataName(KnownNames.EventRouterAssemblyAttribute);
            if (marker is null)
            {
                return new ReferencedModel(EquatableArray<ListenerModel>.Empty, EquatableArray<EventTypeModel>.Empty);
            }
            var listeners = new List<ListenerModel>();
            var events = new List<EventTypeModel>();
            foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var attribute in assembly.GetAttributes())
                {
                    if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, marker) || attribute.ConstructorArguments.Length != 2)
                    {
                        continue;
                    }
                    foreach (var value in TypesOf(attribute.ConstructorArguments[0]))
                    {
                        if (value is INamedTypeSymbol type && ParseListener(type, fromSource: false, attribute: null) is { } listener)
                        {
                            listeners.Add(listener);
                        }
                    }
                    foreach (var value in TypesOf(attribute.ConstructorArguments[1]))
                    {
                        if (IsNameable(value, requirePublic: true))
                        {
                            events.Add(ParseEventType(value));
                        }
                    }
                }
            }
            return new ReferencedModel(
                listeners.OrderBy(l => l.FullName, System.StringComparer.Ordinal).ToEquatableArray(),
                events.OrderBy(e => e.FullName, System.StringComparer.Ordinal).ToEquatableArray());
        }

        public static bool HasDependencyInjection(Compilation compilation) =>
            compilation.GetTypeByMetadataName(KnownNames.ServiceCollection) is not null;

        private static bool IsPublic(ITypeSymbol type) => IsNameable(type, requirePublic: true);

        private static bool IsDirectCall(INamedTypeSymbol type, INamedTypeSymbol iface, bool fromSource)
        {
            var member = iface.GetMembers("HandleAsync").FirstOrDefault();
            if (member is null || type.FindImplementationForInterfaceMember(member) is not IMethodSymbol impl)
            {
                return false;
            }
            var accessible = impl.DeclaredAccessibility == Accessibility.Public
                || (fromSource && impl.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedOrInternal);
            return accessible && impl.ExplicitInterfaceImplementations.Length == 0 && impl.Name == "HandleAsync" && !impl.IsStatic;
        }

        private static string? EventName(ITypeSymbol type)
        {
            foreach (var attribute in type.GetAttributes())
            {
                if (IsNamed(attribute.AttributeClass, KnownNames.EventAttribute)
                    && attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0].Value is string name
                    && name.Length > 0)
                {
                    return name;
                }
            }
            return null;
        }

        /// <summary>The [EventId] and [PartitionKey] members, nearest declaration first, in one walk over the type and its bases.</summary>
        private static (KeyMemberModel? Id, KeyMemberModel? PartitionKey) KeyMembers(ITypeSymbol type)
        {
            KeyMemberModel? id = null, partitionKey = null;
            for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object && (id is null || partitionKey is null); t = t.BaseType)
            {
                foreach (var member in t.GetMembers())
                {
                    ITypeSymbol? memberType = member switch
                    {
                        IPropertySymbol p => p.Type,
                        IFieldSymbol f => f.Type,
                        _ => null,
                    };
                    // An unreadable member is reported by the analyzer (ER0009).
                    if (memberType is null || !IsReadableKeyMember(member))
                    {
                        continue;
                    }
                    foreach (var attribute in member.GetAttributes())
                    {
                        if (id is null && IsNamed(attribute.AttributeClass, KnownNames.EventIdAttribute))
                        {
                            id = Create(type, t, member, memberType);
                        }
                        else if (partitionKey is null && IsNamed(attribute.AttributeClass, KnownNames.PartitionKeyAttribute))
                        {
                            partitionKey = Create(type, t, member, memberType);
                        }
                    }
                }
            }
            return (id, partitionKey);

            static KeyMemberModel Create(ITypeSymbol type, ITypeSymbol declaring, ISymbol member, ITypeSymbol memberType)
            {
                var kind = memberType.SpecialType == SpecialType.System_String ? MemberKind.String
                    : memberType.IsValueType ? MemberKind.ValueType
                    : MemberKind.Reference;
                return new KeyMemberModel(TypeNames.Escape(member.Name), kind) { DeclaringType = IsHidden(type, declaring, member.Name) ? FullName(declaring) : null };
            }
        }

        /// <summary>Whether a type between <paramref name="type"/> and <paramref name="declaring"/> has a member of that name (<c>new</c>), so <c>e.Name</c> would not reach the base's.</summary>
        private static bool IsHidden(ITypeSymbol type, ITypeSymbol declaring, string name)
        {
            for (var t = type; t is not null && !SymbolEqualityComparer.Default.Equals(t, declaring); t = t.BaseType)
            {
                if (!t.GetMembers(name).IsEmpty)
                {
                    return true;
                }
            }
            return false;
        }

        private static IEnumerable<ITypeSymbol> TypesOf(TypedConstant argument) =>
            argument.Kind == TypedConstantKind.Array
                ? argument.Values.Select(v => v.Value).OfType<ITypeSymbol>()
                : Enumerable.Empty<ITypeSymbol>();
    }
}
