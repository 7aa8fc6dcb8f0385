using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Shared;

/// <summary>Text that generated code embeds: C# string literals, and Mermaid labels inside them.</summary>
internal static class Literals
{
    /// <summary>A quoted C# string literal of <paramref name="value"/>, escaped as the compiler would write it.</summary>
    public static string CSharp(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>A Mermaid node label: quotes, angle brackets (generic type names) and pipes as Mermaid entity codes.</summary>
    public static string MermaidLabel(string value) =>
        value.Replace("\"", "#quot;").Replace("<", "#lt;").Replace(">", "#gt;").Replace("|", "#124;");
}
