using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace EventRouter.Docs.Tests;

/// <summary>Every C# block of the docs compiles against the real code, and the programs print what the docs say.</summary>
public sealed class DocBlockTests(ITestOutputHelper log)
{
    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (var block in DocBlock.All())
        {
            data.Add(block.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task Block_Compiles(string block)
    {
        var b = DocBlock.Find(block);
        if (b.SkipReason is not null)
        {
            log.WriteLine($"not compiled: {b.SkipReason}");
            return;
        }
        switch (b.Kind)
        {
            case BlockKind.Program:
                var program = DocCompiler.CompileProgram(b);
                AssertNoProblems(b, program.Problems, "as a complete program");
                if (b.ExpectedOutput is { } expected)
                {
                    var printed = await DocCompiler.RunAsync(program.Compilation);
                    Assert.Equal(expected, printed.TrimEnd('\n', '\r'));
                }
                break;
            case BlockKind.Fragment:
                var page = DocCompiler.CompilePage(b.Page);
                var mine = page.Problems.Where(d => BelongsTo(d, b)).ToList();
                AssertNoProblems(b, mine, $"as part of {b.Page}'s project");
                break;
            case BlockKind.DiagnosticExample:
                var failures = DocCompiler.CheckDiagnosticExample(b);
                Assert.True(failures.Count == 0, $"{b.Name} does not report what it shows:\n  " + string.Join("\n  ", failures) + "\n\n" + b.Code);
                break;
            case BlockKind.GeneratedExcerpt:
                AssertExcerpt(b, DocCompiler.CompilePage(b.Page).Generated);
                break;
        }
    }

    [Fact]
    public void Extraction_FindsTheBlocksAndTheGenerator()
    {
        var blocks = DocBlock.All().ToList();
        Assert.True(blocks.Count >= 45, $"only {blocks.Count} C# blocks found: is the fence pattern still right?");
        Assert.Contains(blocks, b => b.Page == "README.md" && b.Kind == BlockKind.Program && b.ExpectedOutput is not null);
        Assert.Contains(blocks, b => b.Page == "src/EventRouter.Runtime/PACKAGE.md" && b.Kind == BlockKind.Program);
        Assert.True(DocCompiler.GeneratorCount >= 2, "the generators were not found");
        Assert.True(DocCompiler.AnalyzerCount >= 5, "the analyzers were not found");
        // Opt-outs stay rare: each needs a reason, and there are few.
        var skipped = blocks.Where(b => b.SkipReason is not null).ToList();
        Assert.True(skipped.Count <= 10, "too many skipped blocks: " + string.Join(", ", skipped.Select(b => b.Name)));
    }

    /// <summary>A block's own problems, and the page's problems that belong to no block (generated code, the imports).</summary>
    private static bool BelongsTo(Diagnostic d, DocBlock block)
    {
        var span = d.Location.GetMappedLineSpan();
        var line = span.StartLinePosition.Line + 1;
        bool Contains(DocBlock b) => line > b.Line && line <= b.Line + b.Code.Split('\n').Length;
        if (span.Path == block.Page)
        {
            return Contains(block) || !DocBlock.Of(block.Page).Any(Contains);
        }
        if (span.Path == block.Name || span.Path == block.Name + " (assume)")
        {
            return true;
        }
        return !span.Path.StartsWith(block.Page + ":", StringComparison.Ordinal);
    }

    private static void AssertNoProblems(DocBlock block, IReadOnlyList<Diagnostic> problems, string how)
    {
        if (problems.Count == 0)
        {
            return;
        }
        Assert.Fail($"{block.Name} does not compile {how}:\n" + string.Join("\n", problems.Select(Format)) + "\n\n" + block.Code);
    }

    private static string Format(Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        var where = span.Path is { Length: > 0 } ? $"{span.Path}:{span.StartLinePosition.Line + 1}" : "(generated)";
        return $"  {where}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>Every line of the excerpt but the <c>// ...</c> elisions occurs, in this order, in the generated sources.</summary>
    private static void AssertExcerpt(DocBlock block, IReadOnlyList<string> generated)
    {
        var actual = generated.SelectMany(s => s.Replace("\r\n", "\n").Split('\n')).Select(l => l.Trim()).ToList();
        var at = 0;
        foreach (var line in block.Code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("// ...", StringComparison.Ordinal)))
        {
            var found = actual.FindIndex(at, l => l == line);
            Assert.True(found >= 0, $"{block.Name}: the excerpt's line\n  {line}\nis not in the generated code (after line {at} of it):\n{string.Join("\n", generated)}");
            at = found + 1;
        }
    }
}
