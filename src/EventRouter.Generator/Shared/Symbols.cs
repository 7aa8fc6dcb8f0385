using System.Linq;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Shared;

/// <summary>Symbol questions both generators and the analyzers ask alike: how a type is named, and whether generated code can name and create it.</summary>
internal static class Symbols
{
    /// <summary>Full names without <c>global::</c>, for messages and display names.</summary>
    public static readonly SymbolDisplayFormat DisplayFormat =
        SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    /// <summary>The <c>global::</c> qualified name generated code writes, without nullable annotation.</summary>
    public static string FullName(ITypeSymbol type) =>
        type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    /// <summary>Whether generated code in this assembly (or, with <paramref name="requirePublic"/>, any assembly) can name the type.</summary>
    public static bool IsNameable(ITypeSymbol type, bool requirePublic)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return IsNameable(array.ElementType, requirePublic);
            case INamedTypeSymbol named:
                if (named.IsRefLikeType || named.TypeKind == TypeKind.Error)
                {
                    return false;
                }
                for (ISymbol? s = named; s is INamedTypeSymbol t; s = s.ContainingType)
                {
                    var ok = requirePublic
                        ? t.DeclaredAccessibility == Accessibility.Public
                        : t.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
                    if (!ok)
                    {
                        return false;
                    }
                }
                return named.TypeArguments.All(a => IsNameable(a, requirePublic));
            default:
                return false; // type parameters, pointers, function pointers, dynamic
        }
    }

    /// <summary>Whether the type is generic through its own type arguments or any containing type.</summary>
    public static bool ContainsTypeParameters(INamedTypeSymbol type) =>
        type.TypeArguments.Any(a => a is ITypeParameterSymbol || (a is INamedTypeSymbol n && ContainsTypeParameters(n)))
        || (type.ContainingType is { } outer && (outer.TypeParameters.Length > 0 || ContainsTypeParameters(outer)));

    /// <summary>A constructor without parameters that generated code may call: public, or internal when the type is in this compilation.</summary>
    public static bool HasParameterlessConstructor(INamedTypeSymbol type, bool fromSource) =>
        type.InstanceConstructors.Any(c => c.Parameters.Length == 0
            && (c.DeclaredAccessibility == Accessibility.Public
                || (fromSource && c.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedOrInternal)));
}
