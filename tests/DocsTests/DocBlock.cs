using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;

namespace EventRouter.Docs.Tests;

/// <summary>
/// One <c>```csharp</c> (or <c>```cs</c>) block of a page, and the conventions every block follows:
/// <list type="bullet">
/// <item>A block whose first line is a <c>using</c> directive is a <b>complete program</b> (a <c>Program.cs</c>): it
/// compiles alone, with only the implicit usings of a new console project. When the paragraph after it says what
/// it prints (<c>prints `text`</c>), it is run and must print exactly that.</item>
/// <item>Every other block is a <b>fragment</b>. The fragments of one page compile together, as one project, with the
/// EventRouter namespaces, the common Microsoft.Extensions ones and Xunit imported (<see cref="DocCompiler.FragmentUsings"/>).
/// A fragment's statements become the body of a method of their own, so two fragments may use the same names.</item>
/// <item><c>...</c> elides: on a line of its own or in <c>(...)</c> it is dropped; as a type's whole body
/// (<c>{ ... }</c>) it stands for members the type needs, so "does not implement" (CS0535) is accepted on that line.</item>
/// <item><c>&lt;!-- snippet: assume ... --&gt;</c> right before a block states what the fragment takes as given:
/// declarations without an initializer (<c>EventDispatchLoop events;</c>) become the parameters of its method, type
/// declarations join the page's project. Visible in the page's source, invisible when rendered.</item>
/// <item><c>&lt;!-- snippet: generated-excerpt --&gt;</c> marks a trimmed excerpt of generated code: every line of it
/// (but <c>// ...</c> lines) must occur, in order, in what the generator emits for the page.</item>
/// <item>A block that marks lines with a diagnostic ID (<c>// ER0001</c>) is a <b>diagnostic example</b>: it compiles
/// alone, each marked line must report that diagnostic and nothing else may be reported. Same-named declarations side
/// by side (the cause, then the fix) are compiled one at a time.</item>
/// <item><c>&lt;!-- snippet: skip reason --&gt;</c> opts a block out; the reason is required.</item>
/// </list>
/// Compiling means: no error and no warning, with the generator and every analyzer of EventRouter running.
/// </summary>
public sealed record DocBlock(string Page, int Line, string Code, BlockKind Kind, string? Assume, string? SkipReason, string? ExpectedOutput)
{
    /// <summary>The test case's name: the page, relative to the repository, and the line of the opening fence.</summary>
    public string Name => $"{Page}:{Line}";

    public static readonly string RepositoryRoot = Path.GetFullPath(
        typeof(DocBlock).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    /// <summary>The pages whose blocks are compiled, relative to the repository root.</summary>
    public static IEnumerable<string> Pages()
    {
        yield return "README.md";
        foreach (var dir in new[] { "src", "docs" })
        {
            var files = dir == "src"
                ? Directory.GetDirectories(Path.Combine(RepositoryRoot, "src")).Select(d => Path.Combine(d, "PACKAGE.md")).Where(File.Exists)
                : Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md");
            foreach (var file in files.OrderBy(f => f, StringComparer.Ordinal))
            {
                yield return Path.GetRelativePath(RepositoryRoot, file).Replace('\\', '/');
            }
        }
    }

    private static readonly Dictionary<string, IReadOnlyList<DocBlock>> Cache = new();

    /// <summary>Every C# block of every page.</summary>
    public static IEnumerable<DocBlock> All() => Pages().SelectMany(Of);

    public static DocBlock Find(string name) => All().Single(b => b.Name == name);

    // The info string may go on after the language (```csharp fragment): the block is C# all the same.
    private static readonly Regex Fence = new(@"^\s*```\s*(csharp|cs)(\s.*)?$", RegexOptions.Compiled);
    private static readonly Regex Marker = new(@"<!--\s*snippet:\s*(?<kind>skip|assume|generated-excerpt)\b(?<body>.*?)-->", RegexOptions.Compiled | RegexOptions.Singleline);
    private static readonly Regex Prints = new(@"\bprints\s+(?<ticks>`+)(?<text>.+?)\k<ticks>(?!`)", RegexOptions.Compiled | RegexOptions.Singleline);

    /// <summary>The C# blocks of one page, in order.</summary>
    public static IReadOnlyList<DocBlock> Of(string page)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(page, out var cached))
            {
                return cached;
            }
            var lines = File.ReadAllText(Path.Combine(RepositoryRoot, page)).Replace("\r\n", "\n").Split('\n');
            var blocks = new List<DocBlock>();
            for (var i = 0; i < lines.Length; i++)
            {
                if (!Fence.IsMatch(lines[i]))
                {
                    continue;
                }
                var start = i;
                var end = Array.FindIndex(lines, i + 1, l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
                if (end < 0)
                {
                    throw new InvalidOperationException($"{page}:{start + 1}: the code block is not closed");
                }
                var code = string.Join("\n", lines[(start + 1)..end]);
                var (skip, assume, excerpt) = MarkerBefore(lines, start, page);
                var kind = excerpt ? BlockKind.GeneratedExcerpt
                    : DocCompiler.IsProgram(code) ? BlockKind.Program
                    : DocCompiler.IsDiagnosticExample(code) ? BlockKind.DiagnosticExample
                    : BlockKind.Fragment;
                blocks.Add(new DocBlock(page, start + 1, code, kind, assume, skip, kind == BlockKind.Program ? PrintedAfter(lines, end) : null));
                i = end;
            }
            return Cache[page] = blocks;
        }
    }

    /// <summary>The snippet markers in the html comments written right before the fence (one or several, each maybe multi-line).</summary>
    private static (string? Skip, string? Assume, bool Excerpt) MarkerBefore(string[] lines, int fence, string page)
    {
        var first = fence;
        while (first > 0 && lines[first - 1].TrimEnd().EndsWith("-->", StringComparison.Ordinal))
        {
            var open = first - 1;
            while (open > 0 && !lines[open].Contains("<!--", StringComparison.Ordinal))
            {
                open--;
            }
            first = open;
        }
        string? skip = null, assume = null;
        var excerpt = false;
        foreach (Match m in Marker.Matches(string.Join("\n", lines[first..fence])))
        {
            var body = m.Groups["body"].Value.Trim();
            switch (m.Groups["kind"].Value)
            {
                case "skip":
                    skip = body.Length > 0 ? body : throw new InvalidOperationException($"{page}:{fence + 1}: <!-- snippet: skip --> needs a reason");
                    break;
                case "assume":
                    assume = m.Groups["body"].Value;
                    break;
                default:
                    excerpt = true;
                    break;
            }
        }
        return (skip, assume, excerpt);
    }

    /// <summary>What the paragraph after the block says the program prints, if it says so.</summary>
    private static string? PrintedAfter(string[] lines, int closingFence)
    {
        var paragraph = string.Join(" ", lines.Skip(closingFence + 1).SkipWhile(l => l.Trim().Length == 0).TakeWhile(l => l.Trim().Length > 0));
        var match = Prints.Match(paragraph);
        if (!match.Success)
        {
            return null;
        }
        // CommonMark: one space on each side is stripped when both are there (how a backtick at an edge is written).
        var text = match.Groups["text"].Value;
        return text.Length > 2 && text[0] == ' ' && text[^1] == ' ' ? text[1..^1] : text;
    }
}

/// <summary>How a block is checked.</summary>
public enum BlockKind
{
    /// <summary>A complete <c>Program.cs</c>: compiled alone, run when the page shows its output.</summary>
    Program,

    /// <summary>Part of a page's project.</summary>
    Fragment,

    /// <summary>Code that shows a diagnostic (<c>// ER0001</c> on the lines that report it), and its fix.</summary>
    DiagnosticExample,

    /// <summary>A trimmed excerpt of what the generator emits for the page.</summary>
    GeneratedExcerpt,
}
