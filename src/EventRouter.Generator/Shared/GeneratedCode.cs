namespace EventRouter.Generator.Shared;

/// <summary>The <c>[GeneratedCode]</c> attribute both generators put on what they emit, with this assembly's version.</summary>
internal static class GeneratedCode
{
    private static readonly string Version = typeof(GeneratedCode).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    public static string Attribute =>
        $"[global::System.CodeDom.Compiler.GeneratedCode(\"{KnownNames.GeneratorName}\", \"{Version}\")]";
}
