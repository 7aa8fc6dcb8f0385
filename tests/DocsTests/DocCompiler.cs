using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Docs.Tests;

/// <summary>
/// Compiles blocks the way a user's project would: the running framework and EventRouter's assemblies as references,
/// nullable enabled, warnings counted as failures, EventRouter's generators and analyzers running (loaded from the
/// generator assembly this project references, so a new analyzer is picked up without a change here).
/// </summary>
internal static class DocCompiler
{
    /// <summary>What <c>&lt;ImplicitUsings&gt;enable&lt;/ImplicitUsings&gt;</c> imports in a console project.</summary>
    public static readonly string[] ImplicitUsings =
    {
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    };

    /// <summary>What a fragment may use without writing a <c>using</c>: the namespaces the pages are about.</summary>
    public static readonly string[] FragmentUsings = ImplicitUsings.Concat(new[]
    {
        "EventRouter", "EventRouter.DispatchLoop", "EventRouter.Durability", "EventRouter.Generated", "EventRouter.Hosting",
        "EventRouter.Modules", "EventRouter.RabbitMQ", "EventRouter.Reactor", "EventRouter.Sqlite", "EventRouter.Testing",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Diagnostics.HealthChecks", "Microsoft.Extensions.Hosting",
        "Microsoft.Extensions.Logging", "System.Buffers", "System.Diagnostics", "System.Net", "System.Runtime.CompilerServices",
        "System.Text.Json.Serialization", "Xunit",
    }).ToArray();

    // Fragment style: a block shows the call, not what is done with every variable.
    private static readonly string[] FragmentNoise = { "CS1998", "CS8321", "CS0168", "CS0219", "CS9113" };

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Assembly GeneratorAssembly = typeof(EventRouter.Generator.Listeners.EventRouterGenerator).Assembly;

    private static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The framework: the trusted assemblies of the runtime's own folder (the list also holds this project's output).
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => string.Equals(Path.GetDirectoryName(p), framework, StringComparison.Ordinal))
            .ToArray();
        var names = trusted.Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var references = trusted.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        // What this project copied to its output that a user's app could reference: EventRouter's assemblies and their
        // dependencies, Microsoft.Extensions.*, OpenTelemetry, Xunit. Not the generator (an analyzer, not a reference),
        // Roslyn, the test runner or the samples (a page asks for one with #r).
        foreach (var path in Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
        {
            var name = Path.GetFileName(path);
            if (!names.Contains(name) && UsedByApps(name))
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
        }
        return references.ToImmutableArray();
    }

    // EventRouter's generators, and System.Text.Json's (the pages show JsonSerializerContext classes), as the SDK runs it.
    private static bool UsedByApps(string file) =>
        (file.StartsWith("EventRouter.", StringComparison.Ordinal) && !file.StartsWith("EventRouter.Generator", StringComparison.Ordinal) && !file.StartsWith("EventRouter.Docs", StringComparison.Ordinal))
        || new[] { "Microsoft.Extensions.", "Microsoft.Data.Sqlite", "SQLitePCLRaw.", "Npgsql", "RabbitMQ.Client", "OpenTelemetry", "System.", "xunit.assert", "xunit.core", "xunit.abstractions" }
            .Any(p => file.StartsWith(p, StringComparison.Ordinal));

    /// <summary>An assembly of this project's output by name (<c>#r "OrderFlow"</c> in an assume marker: a sample the page builds on).</summary>
    private static MetadataReference Reference(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        return File.Exists(path) ? MetadataReference.CreateFromFile(path) : throw new InvalidOperationException($"#r \"{name}\": {path} is not in the test's output; reference its project from DocsTests.csproj");
    }

    private static readonly System.Text.RegularExpressions.Regex ReferenceDirective = new(@"#r\s+""(?<name>[^""]+)""");

    private static IEnumerable<MetadataReference> AssumedReferences(IEnumerable<DocBlock> blocks) =>
        blocks.Where(b => b.Assume is not null)
            .SelectMany(b => ReferenceDirective.Matches(b.Assume!).Select(m => m.Groups["name"].Value))
            .Distinct()
            .Select(Reference);

    private static readonly ImmutableArray<ISourceGenerator> Generators = new[] { GeneratorAssembly, SystemTextJsonGenerator() }
        .SelectMany(a => a.GetTypes())
        .Where(t => !t.IsAbstract && typeof(IIncrementalGenerator).IsAssignableFrom(t) && t.GetCustomAttribute<GeneratorAttribute>() is not null)
        .Select(t => ((IIncrementalGenerator)Activator.CreateInstance(t)!).AsSourceGenerator())
        .ToImmutableArray();

    private static Assembly SystemTextJsonGenerator()
    {
        // <dotnet>/shared/Microsoft.NETCore.App/<version>/ -> <dotnet>/packs/Microsoft.NETCore.App.Ref/<version>/analyzers/dotnet/cs
        var dotnet = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var path = Directory.GetDirectories(Path.Combine(dotnet, "packs", "Microsoft.NETCore.App.Ref"))
            .Select(d => Path.Combine(d, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll"))
            .Where(File.Exists)
            .OrderByDescending(p => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(p))))), out var v) ? v : new Version())
            .FirstOrDefault() ?? throw new InvalidOperationException("System.Text.Json.SourceGeneration.dll not found under " + dotnet);
        return Assembly.LoadFrom(path);
    }

    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = GeneratorAssembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static int GeneratorCount => Generators.Length;

    public static int AnalyzerCount => Analyzers.Length;

    /// <summary>True when the block is a complete program: it starts with a using directive and has top-level statements.</summary>
    public static bool IsProgram(string code) =>
        code.TrimStart().StartsWith("using ", StringComparison.Ordinal)
        && CSharpSyntaxTree.ParseText(code, ParseOptions).GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();

    /// <summary>The result of compiling: the problems (errors and warnings, formatted with page and line) and the generated sources.</summary>
    public sealed record Result(IReadOnlyList<Diagnostic> Problems, IReadOnlyList<string> Generated, Compilation Compilation);

    /// <summary>Compiles a complete program alone, as its own console project.</summary>
    public static Result CompileProgram(DocBlock block)
    {
        var trees = new[]
        {
            Tree(string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), "ImplicitUsings.g.cs"),
            Tree($"#line {block.Line + 1} \"{block.Page}\"\n{block.Code}\n", block.Name),
        };
        return Compile(AssemblyName(block.Name), OutputKind.ConsoleApplication, trees, Array.Empty<string>());
    }

    private static readonly ConcurrentDictionary<string, Lazy<Result>> Pages = new();

    /// <summary>Compiles the fragments of a page together (once per page): one project, one file per block.</summary>
    public static Result CompilePage(string page) => Pages.GetOrAdd(page, p => new Lazy<Result>(() => CompileFragments(p))).Value;

    private static Result CompileFragments(string page)
    {
        var trees = new List<SyntaxTree>
        {
            Tree(string.Concat(FragmentUsings.Select(u => $"global using global::{u};\n")), "FragmentUsings.g.cs"),
        };
        var accepted = new List<(string Path, int FirstLine, int LastLine)>();
        foreach (var block in DocBlock.Of(page).Where(b => b.SkipReason is null && b.Kind == BlockKind.Fragment))
        {
            trees.Add(Tree(Wrap(block, out var elidedTypes), block.Name));
            accepted.AddRange(elidedTypes);
            if (block.Assume is { } assume)
            {
                trees.Add(Tree(AssumedTypes(block, assume), block.Name + " (assume)"));
            }
        }
        var result = Compile(AssemblyName(page), OutputKind.DynamicallyLinkedLibrary, trees, FragmentNoise, extra: AssumedReferences(DocBlock.Of(page)));
        // A type whose body is elided with "..." may leave interface members out.
        var problems = result.Problems.Where(d => !(d.Id == "CS0535" && accepted.Any(a => Within(d, a)))).ToList();
        return result with { Problems = problems };
    }

    private static bool Within(Diagnostic d, (string Path, int FirstLine, int LastLine) range)
    {
        var span = d.Location.GetMappedLineSpan();
        var line = span.StartLinePosition.Line + 1;
        return span.Path == range.Path && line >= range.FirstLine && line <= range.LastLine;
    }

    /// <summary>
    /// A fragment as a file of the page's project: its usings, its type declarations, and its statements as the body
    /// of a method whose parameters are what the block assumes. <c>#line</c> keeps every diagnostic at its page line.
    /// </summary>
    private static string Wrap(DocBlock block, out List<(string, int, int)> elidedTypes) => Wrap(block, block.Code, out elidedTypes);

    private static string Wrap(DocBlock block, string source, out List<(string, int, int)> elidedTypes)
    {
        var code = Elide(source, out var elisions);
        var root = CSharpSyntaxTree.ParseText(code, ParseOptions).GetCompilationUnitRoot();
        var text = root.GetText();
        int PageLine(int position) => block.Line + 1 + text.Lines.GetLineFromPosition(position).LineNumber;
        string Chunk(SyntaxNode node) => $"#line {PageLine(node.FullSpan.Start)} \"{block.Page}\"\n{node.ToFullString().TrimEnd()}\n";

        elidedTypes = root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>()
            .Where(t => elisions.Any(e => t.Span.Contains(e)))
            .Select(t => (block.Page, PageLine(t.SpanStart), PageLine(t.Span.End)))
            .ToList();

        var output = new StringBuilder();
        foreach (var node in root.Usings)
        {
            output.Append(Chunk(node));
        }
        foreach (var member in root.Members.Where(m => m is not GlobalStatementSyntax))
        {
            output.Append(Chunk(member));
        }
        // A method written at the top level with an access modifier ("[Fact] public void ...") is a member of a class.
        var members = root.Members.OfType<GlobalStatementSyntax>()
            .Where(g => g.Statement is LocalFunctionStatementSyntax f && f.Modifiers.Any(m => SyntaxFacts.IsAccessibilityModifier(m.Kind())))
            .ToList();
        if (members.Count > 0)
        {
            output.Append($"#line default\npublic sealed partial class DocFragmentMembers{block.Line}\n{{\n");
            foreach (var member in members)
            {
                output.Append(Chunk(member));
            }
            output.Append("#line default\n}\n");
        }
        var statements = root.Members.OfType<GlobalStatementSyntax>().Except(members).ToList();
        if (statements.Count > 0)
        {
            output.Append($"#line default\ninternal static partial class DocFragments\n{{\n    public static async global::System.Threading.Tasks.Task Line{block.Line}({Parameters(block)})\n    {{\n");
            foreach (var statement in statements)
            {
                output.Append(Chunk(statement));
            }
            output.Append("#line default\n    }\n}\n");
        }
        if (root.Members.Count == 0 && root.Usings.Count == 0 && code.Trim().Length > 0)
        {
            output.Append(Chunk(root)); // whatever it is, let the compiler say what is wrong with it
        }
        return output.ToString();
    }

    /// <summary>
    /// Drops the elisions, keeping every other character where it was: <c>...</c> on a line of its own, as a type's or
    /// member's whole body (<c>{ ... }</c>) or as an argument list (<c>(...)</c>).
    /// </summary>
    private static string Elide(string code, out List<int> positions)
    {
        var chars = code.ToCharArray();
        positions = new List<int>();
        for (var i = code.IndexOf("...", StringComparison.Ordinal); i >= 0; i = code.IndexOf("...", i + 3, StringComparison.Ordinal))
        {
            var before = LastNonSpace(code, i - 1);
            var after = NextNonSpace(code, i + 3);
            var alone = (before < 0 || code[before] == '\n' || code[before] == '{' || code[before] == '(' || code[before] == ';' || code[before] == '}')
                        && (after >= code.Length || code[after] == '\n' || code[after] == '}' || code[after] == ')');
            if (alone && !InComment(code, i))
            {
                chars[i] = chars[i + 1] = chars[i + 2] = ' ';
                positions.Add(i);
            }
        }
        return new string(chars);

        static int LastNonSpace(string s, int i)
        {
            while (i >= 0 && s[i] is ' ' or '\t')
            {
                i--;
            }
            return i;
        }

        static int NextNonSpace(string s, int i)
        {
            while (i < s.Length && s[i] is ' ' or '\t')
            {
                i++;
            }
            return i;
        }

        static bool InComment(string s, int i)
        {
            var lineStart = s.LastIndexOf('\n', Math.Max(0, i - 1)) + 1;
            return s.AsSpan(lineStart, i - lineStart).Contains("//", StringComparison.Ordinal)
                   || s.LastIndexOf("/*", i, StringComparison.Ordinal) > s.LastIndexOf("*/", i, StringComparison.Ordinal);
        }
    }

    /// <summary>The assumed variables (<c>Type name;</c> in the block's assume marker) as a parameter list.</summary>
    private static string Parameters(DocBlock block)
    {
        if (block.Assume is null)
        {
            return "";
        }
        var root = CSharpSyntaxTree.ParseText(ReferenceDirective.Replace(block.Assume, ""), ParseOptions).GetCompilationUnitRoot();
        return string.Join(", ", root.Members.OfType<GlobalStatementSyntax>()
            .Select(s => s.Statement)
            .OfType<LocalDeclarationStatementSyntax>()
            .SelectMany(d => d.Declaration.Variables.Select(v => $"{d.Declaration.Type} {v.Identifier.Text}")));
    }

    /// <summary>The assumed types, and anything else in the marker that is not a variable: the compiler checks it.</summary>
    private static string AssumedTypes(DocBlock block, string assume)
    {
        var root = CSharpSyntaxTree.ParseText(ReferenceDirective.Replace(assume, ""), ParseOptions).GetCompilationUnitRoot();
        var output = new StringBuilder($"#line 1 \"{block.Name} (assume)\"\n");
        foreach (var node in root.Usings)
        {
            output.Append(node.ToFullString());
        }
        foreach (var member in root.Members)
        {
            if (member is GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax local } && local.Declaration.Variables.All(v => v.Initializer is null))
            {
                continue;
            }
            output.Append(member.ToFullString()).Append('\n');
        }
        return output.ToString();
    }

    private static string AssemblyName(string name) => "Doc_" + new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    private static SyntaxTree Tree(string text, string path) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: path, encoding: Encoding.UTF8);

    private static Result Compile(string assemblyName, OutputKind kind, IEnumerable<SyntaxTree> trees, IEnumerable<string> suppressed, bool eventRouterInfo = false, IEnumerable<MetadataReference>? extra = null)
    {
        var options = new Dictionary<string, ReportDiagnostic>
        {
            // The SDK silences these unification notices too (the libraries target net8.0, this runs on net10.0).
            ["CS1701"] = ReportDiagnostic.Suppress,
            ["CS1702"] = ReportDiagnostic.Suppress,
        };
        foreach (var id in suppressed)
        {
            options[id] = ReportDiagnostic.Suppress;
        }
        var compilation = CSharpCompilation.Create(
            assemblyName,
            trees,
            References.AddRange(extra ?? Enumerable.Empty<MetadataReference>()),
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: false)
                .WithSpecificDiagnosticOptions(options));
        var driver = CSharpGeneratorDriver.Create(Generators, parseOptions: ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var generated = driver.GetRunResult().Results.SelectMany(r => r.GeneratedSources).Select(s => s.SourceText.ToString()).ToList();
        var analyzerDiagnostics = output.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        var problems = generatorDiagnostics.Concat(output.GetDiagnostics()).Concat(analyzerDiagnostics)
            .Where(d => !d.IsSuppressed && (d.Severity >= DiagnosticSeverity.Warning
                                            || (eventRouterInfo && d.Severity == DiagnosticSeverity.Info && d.Id.StartsWith("ER", StringComparison.Ordinal))))
            .Distinct()
            .OrderBy(d => d.Location.GetMappedLineSpan().Path, StringComparer.Ordinal)
            .ThenBy(d => d.Location.GetMappedLineSpan().StartLinePosition.Line)
            .ToList();
        return new Result(problems, generated, output);
    }

    private static readonly System.Text.RegularExpressions.Regex DiagnosticMark = new(@"//\s*(?<id>ER\d{4})\b");

    /// <summary>True when the block marks lines with the diagnostic they report (<c>// ER0001</c>).</summary>
    public static bool IsDiagnosticExample(string code) => DiagnosticMark.IsMatch(code);

    /// <summary>
    /// Checks a diagnostic example: it compiles alone (with what it assumes), every line marked <c>// ERnnnn</c> reports
    /// that diagnostic, and nothing else is reported. Declarations with the same name side by side are the cause and the
    /// fix: each is compiled in a variant of its own, the others blanked out (so every line keeps its number).
    /// </summary>
    public static IReadOnlyList<string> CheckDiagnosticExample(DocBlock block)
    {
        var failures = new List<string>();
        var root = CSharpSyntaxTree.ParseText(Elide(block.Code, out _), ParseOptions).GetCompilationUnitRoot();
        var siblings = new List<SyntaxList<MemberDeclarationSyntax>> { root.Members };
        siblings.AddRange(root.DescendantNodes().OfType<TypeDeclarationSyntax>().Select(t => t.Members));
        var groups = siblings
            .SelectMany(list => list.GroupBy(Name).Where(g => g.Key is not null && g.Count() > 1).Select(g => g.ToList()))
            .ToList();
        var variants = groups.Count == 0 ? 1 : groups.Max(g => g.Count);
        for (var variant = 0; variant < variants; variant++)
        {
            var chars = block.Code.ToCharArray();
            foreach (var group in groups)
            {
                foreach (var removed in group.Where((_, i) => i != Math.Min(variant, group.Count - 1)))
                {
                    for (var i = removed.FullSpan.Start; i < removed.FullSpan.End; i++)
                    {
                        chars[i] = chars[i] == '\n' ? '\n' : ' ';
                    }
                }
            }
            var code = new string(chars);
            var trees = new List<SyntaxTree> { Tree(string.Concat(FragmentUsings.Select(u => $"global using global::{u};\n")), "FragmentUsings.g.cs") };
            trees.Add(Tree(Wrap(block, code, out var elided), block.Name));
            if (block.Assume is { } assume)
            {
                trees.Add(Tree(AssumedTypes(block, assume), block.Name + " (assume)"));
            }
            var result = Compile(AssemblyName(block.Name + "_" + variant), OutputKind.DynamicallyLinkedLibrary, trees, FragmentNoise, eventRouterInfo: true, extra: AssumedReferences(new[] { block }));
            // A mark stands for its line's declaration: the diagnostic may be reported from its attributes to the mark.
            var variantRoot = CSharpSyntaxTree.ParseText(Elide(code, out _), ParseOptions).GetCompilationUnitRoot();
            var variantText = variantRoot.GetText();
            var expected = code.Split('\n')
                .Select((l, i) => (Index: i, Mark: DiagnosticMark.Match(l)))
                .Where(x => x.Mark.Success)
                .Select(x =>
                {
                    var line = variantText.Lines[x.Index];
                    var node = variantRoot.FindToken(line.Start + (line.ToString().Length - line.ToString().TrimStart().Length)).Parent;
                    var declaration = node?.AncestorsAndSelf().FirstOrDefault(n => n is MemberDeclarationSyntax);
                    var from = declaration is null ? x.Index : variantText.Lines.GetLineFromPosition(declaration.SpanStart).LineNumber;
                    return (Id: x.Mark.Groups["id"].Value, From: block.Line + 1 + Math.Min(from, x.Index), To: block.Line + 1 + x.Index);
                })
                .ToList();
            var reported = new HashSet<int>();
            foreach (var d in result.Problems.Where(d => !(d.Id == "CS0535" && elided.Any(e => Within(d, e)))))
            {
                var span = d.Location.GetMappedLineSpan();
                var line = span.StartLinePosition.Line + 1;
                var match = expected.FindIndex(e => e.Id == d.Id && line >= e.From && line <= e.To);
                if (span.Path == block.Page && match >= 0)
                {
                    reported.Add(match);
                }
                else
                {
                    failures.Add($"variant {variant + 1}: unexpected {span.Path}:{line}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
                }
            }
            failures.AddRange(expected.Where((_, i) => !reported.Contains(i)).Select(e => $"variant {variant + 1}: line {e.To}: {e.Id} was not reported"));
        }
        return failures;

        static string? Name(MemberDeclarationSyntax m) => m switch
        {
            BaseTypeDeclarationSyntax t => t.Identifier.Text,
            PropertyDeclarationSyntax p => p.Identifier.Text,
            MethodDeclarationSyntax md => md.Identifier.Text,
            _ => null,
        };
    }

    /// <summary>Emits a program, runs its entry point in a collectible context and returns what it wrote to the console.</summary>
    public static async Task<string> RunAsync(Compilation program)
    {
        using var image = new MemoryStream();
        var emit = program.Emit(image);
        if (!emit.Success)
        {
            throw new InvalidOperationException("emit failed:\n" + string.Join("\n", emit.Diagnostics));
        }
        var context = new AssemblyLoadContext("doc-program", isCollectible: true);
        try
        {
            image.Position = 0;
            var entry = context.LoadFromStream(image).EntryPoint ?? throw new InvalidOperationException("no entry point");
            var console = new StringWriter();
            var original = Console.Out;
            Console.SetOut(console);
            try
            {
                var arguments = entry.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() };
                // A hang guard, not a timing assertion.
                await Task.Run(() => entry.Invoke(null, arguments)).WaitAsync(TimeSpan.FromSeconds(60));
            }
            finally
            {
                Console.SetOut(original);
            }
            return console.ToString();
        }
        finally
        {
            context.Unload();
        }
    }
}
