using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Generator.Tests.Infrastructure;

/// <summary>Builds compilations against the real runtime assembly and runs the generators on them.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The framework, the EventRouter runtime and the DI abstractions (so the DI glue is emitted).</summary>
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var refs = trusted.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        refs.Add(MetadataReference.CreateFromFile(typeof(EventRouter.IEventPublisher).Assembly.Location));
        foreach (var name in new[]
                 {
                     "Microsoft.Extensions.DependencyInjection.Abstractions",
                     "Microsoft.Extensions.DependencyInjection",
                     "Microsoft.Extensions.Logging.Abstractions",
                 })
        {
            var path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
            if (File.Exists(path) && !trusted.Any(t => t.EndsWith(name + ".dll", StringComparison.Ordinal)))
            {
                refs.Add(MetadataReference.CreateFromFile(path));
            }
        }
        return refs.ToImmutableArray();
    }

    public static CSharpCompilation Compile(string assemblyName, IEnumerable<MetadataReference>? extraReferences, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References.AddRange(extraReferences ?? Enumerable.Empty<MetadataReference>()),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // The SDK silences these unification notices too (the runtime targets net8.0, the tests run on net10.0).
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));

    public static CSharpCompilation Compile(params string[] sources) => Compile("TestAssembly", null, sources);

    public static GeneratorDriver CreateDriver(params IIncrementalGenerator[] generators) =>
        CSharpGeneratorDriver.Create(
            generators.Select(GeneratorExtensions.AsSourceGenerator),
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generators; returns the updated compilation and the run result.</summary>
    public static (Compilation Output, GeneratorDriverRunResult Result, GeneratorDriver Driver) Run(Compilation input, params IIncrementalGenerator[] generators)
    {
        var driver = CreateDriver(generators).RunGeneratorsAndUpdateCompilation(input, out var output, out _);
        return (output, driver.GetRunResult(), driver);
    }

    /// <summary>Errors and warnings of a compilation (hidden/info diagnostics excluded).</summary>
    public static IReadOnlyList<Diagnostic> Problems(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    /// <summary>Asserts the compilation has no warnings or errors, printing them with the generated sources otherwise.</summary>
    public static void AssertClean(Compilation compilation)
    {
        var problems = Problems(compilation);
        if (problems.Count > 0)
        {
            var generated = string.Join("\n\n", compilation.SyntaxTrees.Skip(1).Select(t => "// " + t.FilePath + "\n" + t));
            Assert.Fail("Compilation has problems:\n" + string.Join("\n", problems) + "\n\n" + generated);
        }
    }

    /// <summary>Runs analyzers and returns their diagnostics, sorted by position.</summary>
    public static IReadOnlyList<Diagnostic> Analyze(Compilation compilation, params DiagnosticAnalyzer[] analyzers) =>
        compilation.WithAnalyzers(ImmutableArray.Create(analyzers))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToList();

    /// <summary>Emits the compilation and loads it in a collectible context, for compile-and-execute tests.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext("test-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        return context.LoadFromStream(stream);
    }

    /// <summary>Emits a compilation to a metadata reference (for multi-project tests).</summary>
    public static MetadataReference ToReference(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    /// <summary>The text of the generated file whose hint name ends with <paramref name="hintNameSuffix"/>.</summary>
    public static string GeneratedSource(GeneratorDriverRunResult result, string hintNameSuffix) =>
        result.Results.SelectMany(r => r.GeneratedSources)
            .Single(s => s.HintName.EndsWith(hintNameSuffix, StringComparison.Ordinal))
            .SourceText.ToString();
}
