namespace EventRouter.Generator.Shared;

/// <summary>The attributes both generators put on what they emit.</summary>
internal static class GeneratedCode
{
    /// <summary>
    /// On every generated type (and on generated members of a user's partial type): the debugger steps over generated
    /// code into the user's (Just My Code), and coverage reports count only the user's.
    /// </summary>
    public static readonly string[] NonUserCode =
    {
        "[global::System.Diagnostics.DebuggerNonUserCode]",
        "[global::System.Diagnostics.CodeAnalysis.ExcludeFromCodeCoverage]",
    };

    private static readonly string Version = typeof(GeneratedCode).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <summary><c>[GeneratedCode]</c> with this assembly's name and version.</summary>
    public static string Attribute =>
        $"[global::System.CodeDom.Compiler.GeneratedCode(\"{KnownNames.GeneratorName}\", \"{Version}\")]";

    /// <summary>Writes <see cref="NonUserCode"/>, one attribute per line.</summary>
    public static SourceWriter NonUserCodeAttributes(this SourceWriter w)
    {
        foreach (var attribute in NonUserCode)
        {
            w.Line(attribute);
        }
        return w;
    }
}
