using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Shared;

/// <summary>
/// Type names and identifiers as generated code must write them: <c>global::</c> qualified, keywords escaped
/// (<c>@class</c>), tuple element names dropped (<c>(int A, int B)</c> and <c>(int, int)</c> are one runtime type,
/// so one route), and the arguments of a constructed containing type kept (<c>Outer&lt;int&gt;.Inner</c>).
/// </summary>
internal static class TypeNames
{
    /// <summary>
    /// First lines of generated files that name the project's types: an [Obsolete] type or member the project uses
    /// already warns where the project's own code uses it, not again in generated code (warnings as errors).
    /// </summary>
    public const string ObsoletePragma = "#pragma warning disable CS0612, CS0618";

    /// <summary>
    /// The identifier, with <c>@</c> when it is a C# keyword, contextual ones included: a type declared as <c>@file</c>
    /// or <c>@record</c> cannot be declared again without it.
    /// </summary>
    public static string Escape(string identifier) =>
        SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(identifier) != SyntaxKind.None
            ? "@" + identifier
            : identifier;

    /// <summary>A dotted namespace or qualified name with each part escaped.</summary>
    public static string EscapeQualified(string dotted) =>
        string.Join(".", System.Array.ConvertAll(dotted.Split('.'), Escape));

    /// <summary>
    /// The full name of <paramref name="type"/> without a top-level nullable annotation. With
    /// <paramref name="annotateNested"/>, nullable reference types inside it keep their <c>?</c>
    /// (<c>List&lt;(int, string?)&gt;</c>): what a call of the listener's own signature needs.
    /// </summary>
    public static string FullName(ITypeSymbol type, bool annotateNested = false)
    {
        var text = new StringBuilder();
        Append(text, type, annotateNested, top: true);
        return text.ToString();
    }

    private static void Append(StringBuilder text, ITypeSymbol type, bool annotate, bool top)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                // int[][,] is an array of int[,]: the outermost rank is written first.
                var ranks = new List<int>();
                ITypeSymbol element = array;
                while (element is IArrayTypeSymbol a)
                {
                    ranks.Add(a.Rank);
                    element = a.ElementType;
                }
                Append(text, element, annotate, top: false);
                foreach (var rank in ranks)
                {
                    text.Append('[').Append(',', rank - 1).Append(']');
                }
                break;
            case INamedTypeSymbol { IsTupleType: true, TupleElements.IsDefaultOrEmpty: false } tuple:
                text.Append('(');
                for (var i = 0; i < tuple.TupleElements.Length; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    Append(text, tuple.TupleElements[i].Type, annotate, top: false);
                }
                text.Append(')');
                break;
            case INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T, TypeArguments.Length: 1 } nullable:
                Append(text, nullable.TypeArguments[0], annotate, top: false);
                text.Append('?');
                break;
            case INamedTypeSymbol named when Keyword(named) is { } keyword:
                text.Append(keyword);
                break;
            case INamedTypeSymbol { TypeKind: not TypeKind.Error } named:
                if (named.ContainingType is { } outer)
                {
                    Append(text, outer, annotate, top: false);
                    text.Append('.');
                }
                else
                {
                    text.Append("global::");
                    if (named.ContainingNamespace is { IsGlobalNamespace: false } ns)
                    {
                        AppendNamespace(text, ns);
                        text.Append('.');
                    }
                }
                text.Append(Escape(named.Name));
                if (named.TypeArguments.Length > 0)
                {
                    text.Append('<');
                    for (var i = 0; i < named.TypeArguments.Length; i++)
                    {
                        text.Append(i == 0 ? "" : ", ");
                        Append(text, named.TypeArguments[i], annotate, top: false);
                    }
                    text.Append('>');
                }
                break;
            default:
                // Type parameters, pointers, dynamic, error types: never in generated code (IsNameable rejects them).
                text.Append(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                return;
        }
        if (annotate && !top && type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated)
        {
            text.Append('?');
        }
    }

    private static void AppendNamespace(StringBuilder text, INamespaceSymbol ns)
    {
        if (ns.ContainingNamespace is { IsGlobalNamespace: false } parent)
        {
            AppendNamespace(text, parent);
            text.Append('.');
        }
        text.Append(Escape(ns.Name));
    }

    /// <remarks>
    /// <c>nint</c> is written <c>global::System.IntPtr</c> (the same type, and a name every language version knows), so a
    /// listener of <c>nint</c> and one of <c>IntPtr</c> share one route.
    /// </remarks>
    private static string? Keyword(INamedTypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Object => "object",
        SpecialType.System_Boolean => "bool",
        SpecialType.System_Char => "char",
        SpecialType.System_SByte => "sbyte",
        SpecialType.System_Byte => "byte",
        SpecialType.System_Int16 => "short",
        SpecialType.System_UInt16 => "ushort",
        SpecialType.System_Int32 => "int",
        SpecialType.System_UInt32 => "uint",
        SpecialType.System_Int64 => "long",
        SpecialType.System_UInt64 => "ulong",
        SpecialType.System_Decimal => "decimal",
        SpecialType.System_Single => "float",
        SpecialType.System_Double => "double",
        SpecialType.System_String => "string",
        _ => null,
    };

    /// <summary>
    /// A doc-comment reference to a type: a <c>cref</c> for a plain named type, code text for what a cref cannot
    /// name (constructed generics, tuples, arrays, nullable value types), so a documentation build has no warning.
    /// </summary>
    public static string SeeType(string name)
    {
        var plain = name;
        if (plain.IndexOfAny(new[] { '<', '[', '(', '?', '*' }) >= 0)
        {
            return "<c>" + plain.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;") + "</c>";
        }
        return "<see cref=\"" + plain + "\"/>";
    }
}
