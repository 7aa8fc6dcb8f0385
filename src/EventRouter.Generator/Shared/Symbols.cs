using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Shared;

/// <summary>Symbol questions both generators and the analyzers ask alike: how a type is named, and whether generated code can name and create it.</summary>
internal static class Symbols
{
    /// <summary>
    /// Whether <paramref name="type"/> is the top-level type <paramref name="metadataName"/> (<c>EventRouter.IEventListener`1</c>),
    /// by comparing name parts: the generator asks this for every attribute and interface of every listener on every
    /// edit, and formatting the symbol's display string to compare it costs many times more.
    /// </summary>
    public static bool IsNamed(ITypeSymbol? type, string metadataName)
    {
        if (type is null || type.ContainingType is not null)
        {
            return false;
        }
        var end = metadataName.Length;
        var dot = metadataName.LastIndexOf('.');
        if (!IsPart(type.MetadataName, metadataName, dot + 1, end))
        {
            return false;
        }
        end = dot;
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            if (end < 0)
            {
                return false;
            }
            dot = metadataName.LastIndexOf('.', end - 1);
            if (!IsPart(ns.Name, metadataName, dot + 1, end))
            {
                return false;
            }
            end = dot;
        }
        return end < 0;

        static bool IsPart(string name, string full, int start, int end) =>
            name.Length == end - start && string.CompareOrdinal(name, 0, full, start, name.Length) == 0;
    }

    /// <summary>Full names without <c>global::</c>, for messages and display names.</summary>
    public static readonly SymbolDisplayFormat DisplayFormat =
        SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    /// <summary>The <c>global::</c> qualified name generated code writes, without nullable annotation.</summary>
    public static string FullName(ITypeSymbol type) => TypeNames.FullName(type);

    /// <summary>
    /// Whether generated code in this assembly (or, with <paramref name="requirePublic"/>, any assembly) can name the
    /// type. With <paramref name="within"/>, an internal type of another assembly counts only when that assembly gives
    /// <paramref name="within"/> access (a listener can inherit an <c>IEventListener&lt;T&gt;</c> of a library's internal T).
    /// </summary>
    public static bool IsNameable(ITypeSymbol type, bool requirePublic, IAssemblySymbol? within = null)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return IsNameable(array.ElementType, requirePublic, within);
            case INamedTypeSymbol named:
                if (named.IsRefLikeType || named.TypeKind == TypeKind.Error)
                {
                    return false;
                }
                for (ISymbol? s = named; s is INamedTypeSymbol t; s = s.ContainingType)
                {
                    // A file-local type (or one nested in it) cannot be named from the generated files; nor can a
                    // constructed containing type whose arguments cannot (Outer<Hidden>.Inner).
                    if (t.IsFileLocal || !t.TypeArguments.All(a => IsNameable(a, requirePublic, within)))
                    {
                        return false;
                    }
                    if (within is not null && t.DeclaredAccessibility != Accessibility.Public && t.ContainingAssembly is { } assembly
                        && !SymbolEqualityComparer.Default.Equals(assembly, within) && !assembly.GivesAccessTo(within))
                    {
                        return false;
                    }
                    var ok = requirePublic
                        ? t.DeclaredAccessibility == Accessibility.Public
                        : t.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
                    if (!ok)
                    {
                        return false;
                    }
                }
                return named.TypeArguments.All(a => IsNameable(a, requirePublic, within));
            default:
                return false; // type parameters, pointers, function pointers, dynamic
        }
    }

    /// <summary>Whether the type is generic through its own type arguments or any containing type.</summary>
    public static bool ContainsTypeParameters(INamedTypeSymbol type) =>
        type.TypeArguments.Any(a => a is ITypeParameterSymbol || (a is INamedTypeSymbol n && ContainsTypeParameters(n)))
        || (type.ContainingType is { } outer && ContainsTypeParameters(outer)); // Outer<T>.Inner is open, Outer<int>.Inner is not

    /// <summary><c>int?</c> and the like: a published value arrives boxed as its underlying type or as null, never as itself.</summary>
    public static bool IsNullableValueType(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };

    /// <summary>
    /// Whether generated code can read an [EventId] or [PartitionKey] member: an instance field or parameterless
    /// property whose getter is public, or internal and declared in this compilation's sources.
    /// </summary>
    public static bool IsReadableKeyMember(ISymbol member) => member switch
    {
        IPropertySymbol { IsStatic: false, GetMethod: { } getter, Parameters.Length: 0 } p => IsAccessible(p) && IsAccessible(getter),
        IFieldSymbol { IsStatic: false } f => IsAccessible(f),
        _ => false,
    };

    private static bool IsAccessible(ISymbol member) =>
        member.DeclaredAccessibility == Accessibility.Public
        || (member.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedOrInternal && member.Locations.Any(l => l.IsInSource));

    /// <summary>A constructor without parameters that generated code may call: public, or internal when the type is in this compilation.</summary>
    public static bool HasParameterlessConstructor(INamedTypeSymbol type, bool fromSource) =>
        type.InstanceConstructors.Any(c => c.Parameters.Length == 0
            && (c.DeclaredAccessibility == Accessibility.Public
                || (fromSource && c.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedOrInternal)));

    /// <summary>Every class of this compilation (nested ones included) that carries <paramref name="attribute"/>.</summary>
    public static List<INamedTypeSymbol> SourceClassesMarked(Compilation compilation, INamedTypeSymbol attribute, CancellationToken cancellationToken)
    {
        var found = new List<INamedTypeSymbol>();
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(compilation.Assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var member in stack.Pop().GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    stack.Push(ns);
                }
                else if (member is INamedTypeSymbol type)
                {
                    stack.Push(type); // nested types
                    if (type.TypeKind == TypeKind.Class
                        && type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute)))
                    {
                        found.Add(type);
                    }
                }
            }
        }
        return found;
    }
}
