using System;
using System.Collections.Generic;
using System.IO;
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

namespace EventRouter.Generator.Tests.Robustness;

/// <summary>
/// Random edits of this repository's own generator test inputs and samples, each run through both generators. For
/// every variant: no generator throws; when the variant compiles, the generated files have no error or warning; and
/// every [EventListener] or [ModuleServer] class the analyzers say nothing against is in the generated code.
/// </summary>
public sealed class MutationTests
{
    /// <summary>Variants per run: a few hundred keeps the test within CI time on two cores (EVENTROUTER_MUTATION_VARIANTS runs more).</summary>
    private const int DefaultVariants = 300;

    private static readonly int Variants = Environment.GetEnvironmentVariable("EVENTROUTER_MUTATION_VARIANTS") is { Length: > 0 } count
        ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)
        : DefaultVariants;

    private const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter;
        using EventRouter.Modules;

        """;

    /// <summary>What some test inputs write to.</summary>
    private const string LogSource = """
        namespace App
        {
            public static class Log { public static string Text = ""; public static void Add(string s) => Text += s + ";"; }
        }
        """;

    /// <summary>The samples are SDK projects with implicit usings.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public MutationTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    /// <summary>
    /// A fixed default so that a run is repeatable (a failure in CI reproduces locally); set
    /// EVENTROUTER_MUTATION_SEED to explore other variants.
    /// </summary>
    private const int DefaultSeed = 20261202;

    [Fact]
    public void MutatedInputs_NeverBreakTheGenerators()
    {
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var seed = Environment.GetEnvironmentVariable("EVENTROUTER_MUTATION_SEED") is { Length: > 0 } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : DefaultSeed;
        var corpus = Corpus();
        if (Environment.GetEnvironmentVariable("EVENTROUTER_MUTATION_BASELINE") == "1")
        {
            foreach (var (name, sources) in corpus)
            {
                var o = RobustnessHarness.Run(RobustnessHarness.Compile(sources), analyze: false);
                _output.WriteLine($"baseline {name}: compiles={o.UserCodeCompiles} {string.Join(" ", o.UserErrors.Take(2).Select(d => d.Id + " " + d.GetMessage()))}");
            }
        }
        Assert.True(corpus.Count >= 20, $"corpus has only {corpus.Count} inputs");

        // Variants are made one after the other from the seed, then checked in parallel: the same seed gives the same variants.
        var variants = new List<(int Index, string Name, string[] Sources, List<string> Edits)>();
        var random = new Random(seed);
        for (var i = 0; i < Variants; i++)
        {
            var (name, sources) = corpus[random.Next(corpus.Count)];
            var target = random.Next(sources.Length);
            var edits = new List<string>();
            var mutated = (string[])sources.Clone();
            mutated[target] = new Mutator(new Random(random.Next())).Mutate(sources[target], edits);
            variants.Add((i, $"{name}[{target}]", mutated, edits));
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<(int Index, string Report)>();
        var compiled = 0;
        Parallel.ForEach(variants, new ParallelOptions { MaxDegreeOfParallelism = 2 }, variant =>
        {
            var (problem, compiles) = Check(variant.Sources);
            if (compiles)
            {
                System.Threading.Interlocked.Increment(ref compiled);
            }
            if (problem is not null)
            {
                failures.Add((variant.Index, $"variant {variant.Index} of {variant.Name}, edits: {string.Join("; ", variant.Edits)}\n{problem}\n--- mutated source ---\n{string.Join("\n--- next file ---\n", variant.Sources)}"));
            }
        });

        _output.WriteLine($"seed {seed}: {Variants} variants of {corpus.Count} inputs, {compiled} compiled and were checked in full; {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU");
        var sorted = failures.OrderBy(f => f.Index).ToList();
        var summary = sorted.Select(f => string.Join(" | ", f.Report.Split('\n').Take(2)));
        Assert.True(sorted.Count == 0,
            $"{sorted.Count} of {Variants} variants broke the generators (seed {seed}; rerun with EVENTROUTER_MUTATION_SEED={seed}):\n"
            + string.Join("\n", summary) + "\n\nThe first in full:\n\n" + string.Join("\n\n==========\n\n", sorted.Take(3).Select(f => f.Report)));
    }

    /// <summary>What went wrong (null when the variant is handled soundly), and whether the user's code compiles.</summary>
    private static (string? Problem, bool Compiles) Check(string[] sources)
    {
        var outcome = RobustnessHarness.Run(RobustnessHarness.Compile(sources), analyze: false);
        if (outcome.Failures.Count > 0)
        {
            return ("generator threw:\n" + string.Join("\n", outcome.Failures), outcome.UserCodeCompiles);
        }
        if (!outcome.UserCodeCompiles)
        {
            return (null, false); // only "no throw" is asked of the generators
        }
        if (outcome.GeneratedProblems.Count > 0)
        {
            return ("the input compiles but the generated code has problems:\n" + string.Join("\n", outcome.GeneratedProblems.Take(10)) + "\n\n" + outcome.GeneratedText, true);
        }
        return (LeftOut(outcome), true);
    }

    /// <summary>A listener or module no analyzer reports that is missing from the generated code.</summary>
    private static string? LeftOut(Outcome outcome)
    {
        if (!outcome.Input.SyntaxTrees.Any(t => t.ToString() is var text && (text.Contains("EventListener", StringComparison.Ordinal) || text.Contains("ModuleServer", StringComparison.Ordinal))))
        {
            return null;
        }
        var reported = RobustnessHarness.Analyze(outcome.Output).Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "ER0007").ToList();
        // Compared without '@': Roslyn's display escapes reserved keywords only, the generated code contextual ones too.
        var dispatcher = (RobustnessHarness.Generated(outcome, "EventRouter.EventDispatcher.g.cs") ?? "").Replace("@", "");
        var hintNames = outcome.Result.Results.SelectMany(r => r.GeneratedSources).Select(s => s.HintName).ToList();
        foreach (var tree in outcome.Input.SyntaxTrees)
        {
            var model = outcome.Input.GetSemanticModel(tree);
            foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>())
            {
                if (model.GetDeclaredSymbol(declaration) is not INamedTypeSymbol type
                    || reported.Any(d => d.Location.SourceTree == tree && declaration.FullSpan.Contains(d.Location.SourceSpan)))
                {
                    continue;
                }
                var attributes = type.GetAttributes().Select(a => a.AttributeClass?.ToDisplayString()).ToList();
                if (attributes.Contains(KnownNames.EventListenerAttribute)
                    && !dispatcher.Contains($"new(\"{type.ToDisplayString(Symbols.DisplayFormat).Replace("@", "")}\", typeof(", StringComparison.Ordinal))
                {
                    return $"listener {type.ToDisplayString()} has no diagnostic but is not in the dispatch table\n\n" + outcome.GeneratedText;
                }
                if (attributes.Contains(KnownNames.ModuleServerAttribute)
                    && !hintNames.Any(h => System.Text.RegularExpressions.Regex.IsMatch(h, $@"(^|\.){System.Text.RegularExpressions.Regex.Escape(type.Name)}(\.\d+)?\.ModuleServer\.g\.cs$")))
                {
                    return $"module {type.ToDisplayString()} has no diagnostic but no generated client\n\n" + string.Join("\n", hintNames);
                }
            }
        }
        return null;
    }

    /// <summary>Every test input of the generator tests (string literals that declare listeners, filters or modules) and every sample project.</summary>
    private static List<(string Name, string[] Sources)> Corpus()
    {
        var project = typeof(MutationTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ProjectDirectory").Value!;
        var corpus = new List<(string, string[])>();
        foreach (var file in Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(f) && !f.Contains("Snapshots", StringComparison.Ordinal) && Path.GetFileName(f) is not ("Mutator.cs" or "MutationTests.cs")).OrderBy(f => f, StringComparer.Ordinal))
        {
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            var index = 0;
            foreach (var literal in root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) || t.IsKind(SyntaxKind.StringLiteralToken)))
            {
                var text = literal.ValueText;
                if (text.Contains("EventListener", StringComparison.Ordinal) || text.Contains("ModuleServer", StringComparison.Ordinal) || text.Contains("EventFilter", StringComparison.Ordinal))
                {
                    var source = text.Contains("using EventRouter;", StringComparison.Ordinal) ? text : Prelude + text;
                    if (CSharpSyntaxTree.ParseText(source, RobustnessHarness.ParseOptions).GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
                    {
                        continue; // a fragment (code-fix markup, a part of a larger input), not a source file
                    }
                    corpus.Add(($"{Path.GetFileName(file)}#{index++}", new[] { source, LogSource }));
                }
            }
        }
        var samples = Path.GetFullPath(Path.Combine(project, "..", "..", "samples"));
        foreach (var csproj in Directory.EnumerateFiles(samples, "*.csproj", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            var directory = Path.GetDirectoryName(csproj)!;
            var files = Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(f)).OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText);
            corpus.Add((Path.GetFileName(directory), files.Append(ImplicitUsings).ToArray()));
        }
        return corpus;
    }

    /// <summary>obj/, bin/, and the samples' Generated/ (a copy of the generated code written by their builds).</summary>
    private static bool IsBuildOutput(string path) =>
        new[] { "obj", "bin", "Generated" }.Any(d => path.Contains($"{Path.DirectorySeparatorChar}{d}{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
}
