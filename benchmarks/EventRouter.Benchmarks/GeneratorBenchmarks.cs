using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace EventRouter.Benchmarks;

/// <summary>
/// Run time and allocations of EventRouterGenerator on a synthetic compilation of 2,000 listeners and 1,000 events
/// spread over 100 files: a cold run (new driver, fresh compilation), a re-run after an unrelated edit (a driver that
/// already ran, a compilation in which one file without listeners changed) and one after an edit inside one
/// listener's method body.
/// </summary>
[MemoryDiagnoser]
public class GeneratorRun
{
    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private CSharpCompilation _listenerEdited = null!;
    private GeneratorDriver _ranOnce = null!;
    private IIncrementalGenerator _generator = null!;

    [GlobalSetup]
    public void Setup()
    {
        _generator = SyntheticProject.LoadGenerator();
        _compilation = SyntheticProject.Create(listeners: 2000, events: 1000, files: 100);
        _edited = SyntheticProject.WithUnrelatedEdit(_compilation);
        _listenerEdited = SyntheticProject.WithListenerEdit(_compilation);
        _ranOnce = SyntheticProject.NewDriver(_generator, trackSteps: false).RunGenerators(_compilation);
        SyntheticProject.Describe(_generator, _compilation, _edited, Console.Out);
    }

    [Benchmark(Description = "cold: new driver, fresh compilation")]
    public GeneratorDriver Cold() => SyntheticProject.NewDriver(_generator, trackSteps: false).RunGenerators(_compilation.Clone());

    [Benchmark(Description = "unrelated edit: driver that already ran")]
    public GeneratorDriver UnrelatedEdit() => _ranOnce.RunGenerators(_edited.Clone());

    [Benchmark(Description = "edit inside one listener: driver that already ran")]
    public GeneratorDriver ListenerEdit() => _ranOnce.RunGenerators(_listenerEdited.Clone());
}

/// <summary>Builds the synthetic compilation and the generator driver.</summary>
public static class SyntheticProject
{
    public const string UnrelatedFile = "Unrelated.cs";

    /// <summary>
    /// Loads the generator from its own assembly: this project references it only as an analyzer, which is what
    /// makes it generate this project's dispatcher. The build copies it to <c>generator/</c>; the source tree's
    /// build output is the fallback (BenchmarkDotNet runs from its own output folder).
    /// </summary>
    public static IIncrementalGenerator LoadGenerator()
    {
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "generator", "EventRouter.Generator.dll") };
        var built = typeof(SyntheticProject).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "EventRouterGeneratorPath")?.Value;
        if (built is not null)
        {
            candidates.Add(built);
        }
        var path = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("EventRouter.Generator.dll not found; looked in: " + string.Join(", ", candidates));
        var type = Assembly.LoadFrom(path).GetType("EventRouter.Generator.Listeners.EventRouterGenerator", throwOnError: true)!;
        return (IIncrementalGenerator)Activator.CreateInstance(type)!;
    }

    public static GeneratorDriver NewDriver(IIncrementalGenerator generator, bool trackSteps) =>
        CSharpGeneratorDriver.Create(
            new[] { generator.AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>
    /// <paramref name="files"/> files, each declaring an equal share of the events and of the listeners; listener
    /// <c>i</c> handles event <c>i % events</c>, so every event has listeners/events listeners, some in other files.
    /// </summary>
    public static CSharpCompilation Create(int listeners, int events, int files)
    {
        var trees = new List<SyntaxTree>(files + 1);
        for (var f = 0; f < files; f++)
        {
            var text = new StringBuilder();
            text.AppendLine("using System.Threading;\nusing System.Threading.Tasks;\nusing EventRouter;\n\nnamespace Synthetic;\n");
            for (var e = f * events / files; e < (f + 1) * events / files; e++)
            {
                text.Append("public sealed class Event").Append(e).AppendLine(" { public int Value { get; set; } }");
            }
            for (var l = f * listeners / files; l < (f + 1) * listeners / files; l++)
            {
                var e = l % events;
                text.Append("[EventListener] public sealed class Listener").Append(l).Append(" : IEventListener<Event").Append(e)
                    .Append("> { public ValueTask HandleAsync(Event").Append(e)
                    .AppendLine(" e, CancellationToken ct) { e.Value++; return default; } }");
            }
            trees.Add(CSharpSyntaxTree.ParseText(text.ToString(), ParseOptions, path: $"File{f}.cs"));
        }
        trees.Add(CSharpSyntaxTree.ParseText("namespace Synthetic;\n\npublic static class Unrelated\n{\n    public static int Compute(int x) => x + 1;\n}\n", ParseOptions, path: UnrelatedFile));

        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = Directory.EnumerateFiles(frameworkDir, "*.dll")
            .Where(p => Path.GetFileName(p) is var n && (n.StartsWith("System.", StringComparison.Ordinal) || n is "netstandard.dll" or "mscorlib.dll"))
            .Select(p => MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(IEventListener<>).Assembly.Location))
            .ToList();
        return CSharpCompilation.Create("Synthetic", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
    }

    /// <summary>Changes a method body in a file that declares no listener and no event.</summary>
    public static CSharpCompilation WithUnrelatedEdit(CSharpCompilation compilation)
    {
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == UnrelatedFile);
        var text = tree.GetText();
        var at = text.ToString().IndexOf("x + 1", StringComparison.Ordinal);
        var edited = tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(at, 5), "x + 2")));
        return compilation.ReplaceSyntaxTree(tree, edited);
    }

    /// <summary>Changes the body of one listener's method: what a developer does most between two builds.</summary>
    public static CSharpCompilation WithListenerEdit(CSharpCompilation compilation)
    {
        var tree = compilation.SyntaxTrees.First(t => t.FilePath == "File0.cs");
        var text = tree.GetText();
        var at = text.ToString().IndexOf("e.Value++", StringComparison.Ordinal);
        var edited = tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(at, 9), "e.Value += 2")));
        return compilation.ReplaceSyntaxTree(tree, edited);
    }

    /// <summary>Prints what the generator produced and whether the edit left the table cached (a sanity check, not timed).</summary>
    public static void Describe(IIncrementalGenerator generator, CSharpCompilation compilation, CSharpCompilation edited, TextWriter output)
    {
        var driver = NewDriver(generator, trackSteps: true).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        output.WriteLine($"// generator: {first.GeneratedSources.Length} file(s), {first.GeneratedSources.Sum(s => s.SourceText.Length):N0} chars, exception: {first.Exception?.Message ?? "none"}");
        output.WriteLine($"// first run: generator time (Roslyn timing info) {driver.GetTimingInfo().ElapsedTime.TotalMilliseconds:F0} ms");
        foreach (var source in first.GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal))
        {
            output.WriteLine($"// generated {source.HintName}: {System.Text.Encoding.UTF8.GetByteCount(source.SourceText.ToString()) / 1024.0:N0} KB");
        }
        // Where the time goes: Roslyn records each tracked step's own elapsed time.
        foreach (var (name, steps) in first.TrackedSteps.OrderByDescending(s => s.Value.Sum(x => x.ElapsedTime.Ticks)))
        {
            output.WriteLine($"// first run, step {name}: {steps.Sum(x => x.ElapsedTime.TotalMilliseconds):F1} ms over {steps.Length} run(s)");
        }
        foreach (var (name, steps) in first.TrackedOutputSteps)
        {
            output.WriteLine($"// first run, output step {name}: {steps.Sum(x => x.ElapsedTime.TotalMilliseconds):F1} ms");
        }
        var generatedText = string.Concat(first.GeneratedSources.Select(g => g.SourceText.ToString()));
        var parseStart = System.Diagnostics.Stopwatch.GetTimestamp();
        CSharpSyntaxTree.ParseText(generatedText, ParseOptions).GetRoot();
        output.WriteLine($"// parsing the generated text once more, outside the driver: {System.Diagnostics.Stopwatch.GetElapsedTime(parseStart).TotalMilliseconds:F0} ms");
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        foreach (var (name, steps) in second.TrackedSteps.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var reasons = steps.SelectMany(s => s.Outputs).GroupBy(o => o.Reason).Select(g => $"{g.Key}={g.Count()}");
            output.WriteLine($"// after unrelated edit, step {name}: {string.Join(", ", reasons)}");
        }
        var outputs = second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).GroupBy(o => o.Reason).Select(g => $"{g.Key}={g.Count()}");
        output.WriteLine($"// after unrelated edit, source outputs: {string.Join(", ", outputs)}");
    }
}
