using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Shared;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Generator.Tests.Robustness;

/// <summary>
/// Runs both generators the way this repository builds (documentation file on, warnings as errors) and judges the
/// result: the generators threw nothing, and when the input compiles, nothing in the generated files is an error or a
/// warning.
/// </summary>
internal static class RobustnessHarness
{
    /// <summary>GenerateDocumentationFile: doc comments are parsed and their crefs checked.</summary>
    public static readonly CSharpParseOptions ParseOptions = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    private static readonly CSharpCompilationOptions CompilationOptions =
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
            {
                ["CS1701"] = ReportDiagnostic.Suppress,
                ["CS1702"] = ReportDiagnostic.Suppress,
                ["CS1591"] = ReportDiagnostic.Suppress, // test inputs are not documented; generated code is checked below anyway
            });

    /// <summary>A library, or a console application when a file has top-level statements (the samples).</summary>
    public static CSharpCompilation Compile(params string[] sources)
    {
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Input{i}.cs")).ToList();
        var kind = trees.Any(t => t.GetRoot() is CompilationUnitSyntax { Members: var members } && members.OfType<GlobalStatementSyntax>().Any())
            ? OutputKind.ConsoleApplication
            : OutputKind.DynamicallyLinkedLibrary;
        return CSharpCompilation.Create("RobustnessInput", trees, GeneratorHarness.References, CompilationOptions.WithOutputKind(kind));
    }

    /// <summary>Runs the event and module generators, then the analyzers when asked.</summary>
    public static Outcome Run(Compilation input, bool analyze = true)
    {
        var driver = CSharpGeneratorDriver.Create(
            new IIncrementalGenerator[] { new EventRouterGenerator(), new ModuleServerGenerator() }.Select(GeneratorExtensions.AsSourceGenerator),
            parseOptions: ParseOptions);
        driver = (CSharpGeneratorDriver)driver.RunGeneratorsAndUpdateCompilation(input, out var output, out var driverDiagnostics);
        var result = driver.GetRunResult();

        var failures = driverDiagnostics.Where(d => d.Id is "CS8784" or "CS8785").Select(d => d.ToString())
            .Concat(result.Results.Where(r => r.Exception is not null).Select(r => r.Generator.GetGeneratorType().Name + " threw " + r.Exception))
            .ToList();

        var inputTrees = input.SyntaxTrees.ToHashSet();
        var outputDiagnostics = output.GetDiagnostics();
        var generatedProblems = outputDiagnostics
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && !inputTrees.Contains(tree))
            .ToList();
        var userErrors = outputDiagnostics
            .Where(d => d.Severity == DiagnosticSeverity.Error && (d.Location.SourceTree is not { } tree || inputTrees.Contains(tree)))
            .ToList();
        // The input alone is bound only when the user's files have errors with the generated code added: the errors
        // may then be the generated code's doing.
        var inputErrors = userErrors.Count == 0
            ? (IReadOnlyList<Diagnostic>)Array.Empty<Diagnostic>()
            : input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        return new Outcome(input, output, result, failures, inputErrors, generatedProblems, analyze ? Analyze(output) : Array.Empty<Diagnostic>()) { UserErrors = userErrors };
    }

    public static Outcome Run(params string[] sources) => Run(Compile(sources));

    /// <summary>The EventRouter analyzers' diagnostics, including those a <c>#pragma</c> suppresses (marked <see cref="Diagnostic.IsSuppressed"/>).</summary>
    public static IReadOnlyList<Diagnostic> Analyze(Compilation compilation) =>
        compilation.WithAnalyzers(
                ImmutableArray.Create<DiagnosticAnalyzer>(new ListenerAnalyzer(), new FilterAnalyzer(), new ModuleServerAnalyzer()),
                new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: true))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToList();

    /// <summary>The generated source whose hint name ends so, or null.</summary>
    public static string? Generated(Outcome outcome, string hintNameSuffix) =>
        outcome.Result.Results.SelectMany(r => r.GeneratedSources)
            .FirstOrDefault(s => s.HintName.EndsWith(hintNameSuffix, StringComparison.Ordinal)).SourceText?.ToString();

    /// <summary>Adds <paramref name="entry"/> (a class <c>Probe.Entry</c> with <c>static Task&lt;string&gt; RunAsync()</c>) to the output, runs it, returns what it returned.</summary>
    public static async Task<string> RunEntryAsync(Outcome outcome, string entry)
    {
        var compilation = outcome.Output.AddSyntaxTrees(CSharpSyntaxTree.ParseText(entry, ParseOptions, path: "Entry.cs"));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n\n" + outcome.GeneratedText);
        var assembly = GeneratorHarness.Load(compilation);
        return await (Task<string>)assembly.GetType("Probe.Entry")!.GetMethod("RunAsync")!.Invoke(null, null)!;
    }
}

/// <summary>What one generator run produced.</summary>
/// <param name="Failures">CS8784/CS8785 and exceptions of the generators: must always be empty.</param>
/// <param name="InputErrors">Errors of the input alone (names the generators add are missing there); only computed when <see cref="UserErrors"/> has some.</param>
/// <param name="GeneratedProblems">Errors and warnings located in generated files.</param>
/// <param name="AnalyzerDiagnostics">What the EventRouter analyzers report on the output.</param>
internal sealed record Outcome(
    Compilation Input,
    Compilation Output,
    GeneratorDriverRunResult Result,
    IReadOnlyList<string> Failures,
    IReadOnlyList<Diagnostic> InputErrors,
    IReadOnlyList<Diagnostic> GeneratedProblems,
    IReadOnlyList<Diagnostic> AnalyzerDiagnostics)
{
    /// <summary>Errors located in the input's files once the generated code is added.</summary>
    public IReadOnlyList<Diagnostic> UserErrors { get; init; } = Array.Empty<Diagnostic>();

    /// <summary>
    /// The user's code compiles: alone, or with the generated code (when it calls what the generators add). Only then
    /// can the generated code be asked to compile.
    /// </summary>
    public bool UserCodeCompiles => InputErrors.Count == 0 || UserErrors.Count == 0;

    public string GeneratedText =>
        string.Join("\n\n", Result.Results.SelectMany(r => r.GeneratedSources).Select(s => "// " + s.HintName + "\n" + s.SourceText));

    public IEnumerable<string> AnalyzerIds => AnalyzerDiagnostics.Select(d => d.Id);

    /// <summary>The generators threw nothing, and nothing in their output is an error or a warning.</summary>
    public void AssertSound()
    {
        Assert.True(Failures.Count == 0, "Generator failed:\n" + string.Join("\n", Failures));
        Assert.True(GeneratedProblems.Count == 0,
            "Generated code has problems:\n" + string.Join("\n", GeneratedProblems) + "\n\n" + GeneratedText);
    }
}
