using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Tests.Listeners;

/// <summary>
/// The semantic steps read a compilation replaced only when a declaration changes: an edit inside a member body runs
/// none of them, and every edit that can change the output still does.
/// </summary>
public sealed class DeclarationGateTests
{
    /// <summary>Listeners, a named event, a filter, a subtype found by the candidate scan, spread over files; one file with none.</summary>
    private static readonly string[] s_app =
    {
        Sources.Usings + """
            namespace App;
            public interface IDomainEvent { }
            [Event("orders.placed")] public sealed record Placed(int Id) : IDomainEvent;
            [EventListener] public sealed class Billing : IEventListener<Placed>
            {
                private int _count;
                public Billing() { _count = 1; }
                public int Count { get => _count; set { _count = value + 1; } }
                public int Twice => _count * 2;
                public ValueTask HandleAsync(Placed e, CancellationToken ct) { _count++; return default; }
            }
            """,
        Sources.Usings + """
            namespace App;
            [EventListener(Lifetime = ListenerLifetime.Scoped)] public sealed class DomainLog : IEventListener<IDomainEvent> { public ValueTask HandleAsync(IDomainEvent e, CancellationToken ct) => default; }
            [EventFilter(Order = 1)]
            public sealed class Logging : IEventFilter
            {
                public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct);
            }
            """,
        "namespace App; public sealed class Shipped : IDomainEvent { }",
        """
            namespace App;
            public static class Unrelated
            {
                // Sums.
                public static int Compute(int x) => x + 1;
            }
            """,
    };

    /// <summary>The steps after the gate: none may run again after an edit that changes no declaration.</summary>
    private static readonly string[] s_afterTheGate =
    {
        TrackingNames.Declarations, TrackingNames.Listeners, TrackingNames.NamedEvents, TrackingNames.Filters,
        TrackingNames.References, TrackingNames.CandidateNames, TrackingNames.Candidates, TrackingNames.Table,
    };

    // Fails without the gate: every listener, named-event and filter transform, References and Candidates report
    // Unchanged (they ran again on the new compilation) instead of Cached.
    [Theory]
    [InlineData("x + 1", "x + 2")]                                        // a method body in a file without listeners
    [InlineData("// Sums.", "// Adds one.")]                              // a comment
    [InlineData("{ _count++; return default; }", "{ _count += 2; return default; }")] // inside one listener's method
    [InlineData("{ _count = 1; }", "{ _count = 2; int Local() => 3; _count += Local(); }")] // a constructor body, a local function
    [InlineData("set { _count = value + 1; }", "set { _count = value + 2; }")] // an accessor body
    [InlineData("=> _count * 2;", "=> _count * 3;")]                      // an expression-bodied property
    [InlineData("=> next.InvokeAsync(e, ct);", "=> next.InvokeAsync(e, default);")] // inside the filter
    public void EditInsideAMemberBody_RunsNoStepAfterTheGate_AndKeepsTheOutput(string before, string after)
    {
        var (first, second) = RunAndEdit(s_app, c => Replace(c, before, after));

        var files = second.TrackedSteps[TrackingNames.FileShapes].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(1, files.Count(o => o.Reason == IncrementalStepRunReason.Unchanged)); // the edited file, read again
        Assert.Equal(files.Count - 1, files.Count(o => o.Reason == IncrementalStepRunReason.Cached));
        Assert.All(second.TrackedSteps[TrackingNames.DeclarationCompilation].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.Equal(2, second.TrackedSteps[TrackingNames.Listeners].SelectMany(s => s.Outputs).Count());
        foreach (var name in s_afterTheGate)
        {
            Assert.All(second.TrackedSteps[name].SelectMany(s => s.Outputs), o => Assert.True(o.Reason == IncrementalStepRunReason.Cached, $"{name}: {o.Reason}"));
        }
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Equal(Texts(first), Texts(second));
    }

    [Fact]
    public void AddingAndRemovingAListener_ChangesTheOutput()
    {
        var (_, added) = RunAndEdit(s_app, c => c.AddSyntaxTrees(Parse(Sources.Usings + """
            namespace App;
            [EventListener] public sealed class Audit : IEventListener<Placed> { public ValueTask HandleAsync(Placed e, CancellationToken ct) => default; }
            """)));
        Assert.Contains("global::App.Audit", Listeners(added));

        var (_, removed) = RunAndEdit(s_app, c => Replace(c, "[EventListener] public sealed class Billing", "public sealed class Billing"));
        Assert.DoesNotContain("global::App.Billing", Listeners(removed));
    }

    [Fact]
    public void ChangingAnAttributeArgument_ChangesTheOutput()
    {
        var (first, second) = RunAndEdit(s_app, c => Replace(c, "[EventListener(Lifetime = ListenerLifetime.Scoped)]", "[EventListener(Lifetime = ListenerLifetime.Singleton)]"));

        Assert.NotEqual(Texts(first), Texts(second));
        Assert.Contains(second.TrackedSteps[TrackingNames.Table].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void ChangingAConstAnAttributeReadsInAnotherFile_ChangesTheOutput()
    {
        var sources = new[]
        {
            Sources.Usings + """
                namespace App;
                public sealed record Paid(int Id);
                [EventListener] public sealed class Ledger : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [EventFilter(Order = Orders.Logging)] public sealed class Logging : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct); }
                [EventFilter(Order = Orders.Timing)] public sealed class Timing : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct); }
                """,
            "namespace App; public static class Orders { public const int Logging = 1; public const int Timing = 2; }",
        };
        var (first, second) = RunAndEdit(sources, c => Replace(c, "public const int Logging = 1;", "public const int Logging = 3;"));

        // The filter chain is outermost first: Logging before Timing, then the other way round.
        Assert.Equal(new[] { "global::App.Logging", "global::App.Timing" }, Table(first).Filters.Select(f => f.FullName));
        Assert.Equal(new[] { "global::App.Timing", "global::App.Logging" }, Table(second).Filters.Select(f => f.FullName));
        Assert.NotEqual(Texts(first), Texts(second));
    }

    [Fact]
    public void ChangingAnEventsBaseListInAnotherFile_ChangesTheOutput()
    {
        // Shipped is a candidate before and after (it still reaches IDomainEvent), so only a fresh bind sees the new base.
        var sources = new[]
        {
            Sources.Usings + """
                namespace App;
                public interface IDomainEvent { }
                public interface IAudited { }
                [EventListener] public sealed class DomainLog : IEventListener<IDomainEvent> { public ValueTask HandleAsync(IDomainEvent e, CancellationToken ct) => default; }
                [EventListener] public sealed class AuditLog : IEventListener<IAudited> { public ValueTask HandleAsync(IAudited e, CancellationToken ct) => default; }
                """,
            "namespace App; public sealed class Shipped : IDomainEvent { }",
        };
        Assert.Equal(new[] { "global::App.DomainLog" }, RouteListeners(Run(sources), "global::App.Shipped"));

        var (_, second) = RunAndEdit(sources, c => Replace(c, "public sealed class Shipped : IDomainEvent { }", "public sealed class Shipped : IDomainEvent, IAudited { }"));

        Assert.Equal(new[] { "global::App.AuditLog", "global::App.DomainLog" }, RouteListeners(second, "global::App.Shipped"));
    }

    [Fact]
    public void AddingAnInterfaceInAnotherPartialDeclaration_ChangesTheOutput()
    {
        var sources = new[]
        {
            Sources.Usings + """
                namespace App;
                public sealed record Paid(int Id);
                public sealed record Refunded(int Id);
                [EventListener] public sealed partial class Ledger : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                """,
            Sources.Usings + "namespace App; public sealed partial class Ledger { public ValueTask HandleAsync(Refunded e, CancellationToken ct) => default; }",
        };
        Assert.DoesNotContain("global::App.Refunded", Routes(Run(sources)));

        var (_, second) = RunAndEdit(sources, c => Replace(c, "public sealed partial class Ledger {", "public sealed partial class Ledger : IEventListener<Refunded> {"));

        Assert.Contains("global::App.Refunded", Routes(second));
    }

    [Fact]
    public void ChangingAReferencedAssembly_ChangesTheOutput()
    {
        const string Library = Sources.Usings + """
            namespace Lib;
            public sealed record Paid(int Id);
            [EventListener] public sealed class First : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
            """;
        const string Second = Sources.Usings + """
            namespace Lib;
            [EventListener] public sealed class Second : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
            """;
        var v1 = GeneratorHarness.ToReference(GeneratorHarness.Run(GeneratorHarness.Compile("Lib", Array.Empty<MetadataReference>(), Library), new EventRouterGenerator()).Output);
        var v2 = GeneratorHarness.ToReference(GeneratorHarness.Run(GeneratorHarness.Compile("Lib", Array.Empty<MetadataReference>(), Library, Second), new EventRouterGenerator()).Output);
        var app = GeneratorHarness.Compile("App", new[] { v1 }, Sources.Usings + """
            namespace App;
            [EventListener] public sealed class Local : IEventListener<Lib.Paid> { public ValueTask HandleAsync(Lib.Paid e, CancellationToken ct) => default; }
            """);
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(app);
        Assert.DoesNotContain("global::Lib.Second", Listeners(driver.GetRunResult().Results.Single()));

        var second = driver.RunGenerators(app.ReplaceReference(v1, v2)).GetRunResult().Results.Single();

        Assert.Contains("global::Lib.Second", Listeners(second));
    }

    [Fact]
    public void RetargetingOrRenamingAnAttributeAliasInAnotherFile_ChangesTheOutput()
    {
        var sources = new[]
        {
            "global using Listen = EventRouter.EventListenerAttribute;",
            Sources.Usings + """
                namespace App;
                public sealed record Paid(int Id);
                [Listen] public sealed class Ledger : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                """,
        };
        Assert.Contains("global::App.Ledger", Listeners(Run(sources)));

        var (_, retargeted) = RunAndEdit(sources, c => Replace(c, "EventRouter.EventListenerAttribute;", "System.ObsoleteAttribute;"));
        Assert.DoesNotContain("global::App.Ledger", Listeners(retargeted));

        var (_, renamed) = RunAndEdit(sources, c => Replace(c, "global using Listen =", "global using Hear ="));
        Assert.DoesNotContain("global::App.Ledger", Listeners(renamed));
    }

    [Fact]
    public void ADirectiveThatActivatesAListener_ChangesTheOutput()
    {
        var sources = new[]
        {
            Sources.Usings + """
                namespace App;
                public sealed record Paid(int Id);
                [EventListener] public sealed class Ledger : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                #if AUDIT
                [EventListener] public sealed class Audit : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                #endif
                """,
        };
        Assert.DoesNotContain("global::App.Audit", Listeners(Run(sources)));

        var (_, defined) = RunAndEdit(sources, c => Replace(c, "using System;", "#define AUDIT\nusing System;"));
        Assert.Contains("global::App.Audit", Listeners(defined));

        // The same through the parse options: every file is parsed again.
        var options = GeneratorHarness.ParseOptions.WithPreprocessorSymbols("AUDIT");
        var (_, symbol) = RunAndEdit(sources, c => c.RemoveAllSyntaxTrees().AddSyntaxTrees(c.SyntaxTrees.Select(t => CSharpSyntaxTree.ParseText(t.GetText(), options, t.FilePath))));
        Assert.Contains("global::App.Audit", Listeners(symbol));
    }

    /// <summary>
    /// What ForAttributeWithMetadataName finds, the discovery finds: every way to write the attribute, aliases local
    /// and global, nested types, parts in several files, records, and no look-alike of another namespace.
    /// </summary>
    [Fact]
    public void Discovery_FindsWhatForAttributeWithMetadataNameFinds()
    {
        var compilation = GeneratorHarness.Compile(
            "global using GlobalListen = EventRouter.EventListenerAttribute;",
            Sources.Usings + """
                using Local = EventRouter.EventListenerAttribute;
                using HearAttribute = EventRouter.EventListenerAttribute;
                using Named = EventRouter.EventAttribute;
                using Wrap = EventRouter.EventFilterAttribute;
                namespace App;
                public sealed record Paid(int Id);
                [EventListener] public sealed class Plain : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [EventListenerAttribute] public sealed class Suffixed : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [EventRouter.EventListener] public sealed class Qualified : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [global::EventRouter.EventListenerAttribute] public sealed class GlobalQualified : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [Local] public sealed class LocalAlias : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [Hear] public sealed class SuffixedAlias : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [GlobalListen] public sealed class GlobalAlias : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [Serializable, EventListener] public sealed record RecordListener : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                public static class Outer { public static partial class Middle { [EventListener] public sealed class Nested : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; } } }
                [EventListener] public sealed partial class Split { }
                [Other.EventListener] public sealed class LookAlike : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }
                [Event("a")] public readonly record struct StructEvent(int N);
                [Named("b")] public sealed class AliasedEvent { }
                [Wrap] public sealed class AliasedFilter : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct); }
                """,
            Sources.Usings + "namespace App; public sealed partial class Split : IEventListener<Paid> { public ValueTask HandleAsync(Paid e, CancellationToken ct) => default; }",
            "namespace Other; public sealed class EventListenerAttribute : System.Attribute { }");
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var files = compilation.SyntaxTrees
            .Select(t => new EventRouterGenerator.FileShape(DeclarationShape.Of(t, default), EventRouterGenerator.CandidateScan.ReadFile(t, default)))
            .ToEquatableArray();

        var found = EventRouterGenerator.Discovery.Find(compilation, files, default);

        var expected = ForAttributeWithMetadataName.Find(compilation);
        Assert.Equal(expected[KnownNames.EventListenerAttribute], found.Listeners.Select(l => l.FullName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(expected[KnownNames.EventAttribute], found.NamedEvents.Select(e => e.FullName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(expected[KnownNames.EventFilterAttribute], found.Filters.Select(f => f.FullName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(10, found.Listeners.Count);
        Assert.DoesNotContain(found.Listeners, l => l.FullName == "global::App.LookAlike");
        Assert.Equal(new[] { "global::App.AliasedEvent", "global::App.StructEvent" }, found.NamedEvents.Select(e => e.FullName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal("global::App.AliasedFilter", Assert.Single(found.Filters).FullName);
    }

    [Theory]
    [InlineData("int M() { return 1; }", "int M() { return 2; }", true)]
    [InlineData("int M() { return 1; }", "int M()  {\n  return 1; // one\n}", true)]
    [InlineData("int M() { return 1; }", "int M() {\n#region r\nreturn 1;\n#endregion\n}", true)]
    [InlineData("int M() { return 1; }", "int M() {\n#pragma warning disable CS0168\nreturn 1; }", true)]
    [InlineData("int P => 1;", "int P => 2;", true)]
    [InlineData("int P { get { return 1; } }", "int P { get { return 2; } }", true)]
    [InlineData("int P { get { return 1; } }", "int P { get { return field; } }", false)] // a backing field appears
    [InlineData("int M() { return 1; }", "long M() { return 1; }", false)]
    [InlineData("int M() { return 1; }", "int M(int x) { return 1; }", false)]
    [InlineData("int M() { return 1; }", "int M() {\n#nullable enable\nreturn 1; }", false)]
    [InlineData("int M() { return 1; }", "int N() { return 1; }", false)]
    [InlineData("const int C = 1;", "const int C = 2;", false)]
    [InlineData("int F = 1;", "int F = 2;", false)]
    [InlineData("int P { get; } = 1;", "int P { get; } = 2;", false)]
    [InlineData("[Obsolete] int F;", "[Obsolete(\"x\")] int F;", false)]
    [InlineData("partial void M();", "partial void M() { }", false)]
    public void DeclarationShape_IgnoresOnlyWhatIsInsideBodies(string before, string after, bool same)
    {
        static string Shape(string member) => DeclarationShape.Of(Parse("using System; namespace App; public partial class C : IDisposable { " + member + " public void Dispose() { } }"), default);

        Assert.Equal(same, Shape(before) == Shape(after));
    }

    [Theory]
    [InlineData("System.Console.WriteLine(1);", "System.Console.WriteLine(2);", true)] // top-level statements declare nothing a model reads
    [InlineData("enum E { A = 1 }", "enum E { A = 2 }", false)]
    [InlineData("using A = System.String;", "using A = System.Object;", false)]
    [InlineData("#define X", "#define Y", false)]
    public void DeclarationShape_OfWholeFiles(string before, string after, bool same)
    {
        Assert.Equal(same, DeclarationShape.Of(Parse(before), default) == DeclarationShape.Of(Parse(after), default));
    }

    [Fact]
    public void DeclarationShape_DependsOnTheParseOptions()
    {
        var tree = Parse("class C { }");

        Assert.NotEqual(DeclarationShape.Of(tree, default), DeclarationShape.Of(tree.WithRootAndOptions(tree.GetRoot(), GeneratorHarness.ParseOptions.WithPreprocessorSymbols("X")), default));
        Assert.NotEqual(DeclarationShape.Of(tree, default), DeclarationShape.Of(tree.WithRootAndOptions(tree.GetRoot(), GeneratorHarness.ParseOptions.WithLanguageVersion(LanguageVersion.CSharp10)), default));
    }

    private static SyntaxTree Parse(string text) => CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions);

    private static CSharpCompilation Replace(CSharpCompilation compilation, string before, string after)
    {
        var tree = compilation.SyntaxTrees.Single(t => t.ToString().Contains(before, StringComparison.Ordinal));
        return compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            tree.ToString().Replace(before, after, StringComparison.Ordinal), (CSharpParseOptions)tree.Options, tree.FilePath));
    }

    private static GeneratorRunResult Run(string[] sources) =>
        GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(GeneratorHarness.Compile(sources)).GetRunResult().Results.Single();

    /// <summary>Runs the generator, then runs the same driver on the edited compilation.</summary>
    private static (GeneratorRunResult First, GeneratorRunResult Second) RunAndEdit(string[] sources, Func<CSharpCompilation, CSharpCompilation> edit)
    {
        var compilation = GeneratorHarness.Compile(sources);
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        return (first, driver.RunGenerators(edit(compilation)).GetRunResult().Results.Single());
    }

    private static TableModel Table(GeneratorRunResult result) =>
        (TableModel)result.TrackedSteps[TrackingNames.Table].SelectMany(s => s.Outputs).Single().Value;

    private static List<string> Listeners(GeneratorRunResult result) => Table(result).Listeners.Select(l => l.FullName).ToList();

    private static List<string> Routes(GeneratorRunResult result) => Table(result).Routes.Select(r => r.Event.FullName).ToList();

    private static List<string> RouteListeners(GeneratorRunResult result, string eventType)
    {
        var table = Table(result);
        return table.Routes.Single(r => r.Event.FullName == eventType).Entries.Select(e => table.Listeners[e.ListenerIndex].FullName).ToList();
    }

    private static List<(string, string)> Texts(GeneratorRunResult result) =>
        result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).OrderBy(s => s.HintName, StringComparer.Ordinal).ToList();

    /// <summary>The reference: what Roslyn's own ForAttributeWithMetadataName yields for each of our attributes, as sorted full names.</summary>
    private sealed class ForAttributeWithMetadataName : IIncrementalGenerator
    {
        private readonly Dictionary<string, List<string>> _found = new();

        public static Dictionary<string, List<string>> Find(Compilation compilation)
        {
            var generator = new ForAttributeWithMetadataName();
            CSharpGeneratorDriver.Create(generator).RunGenerators(compilation);
            return generator._found.ToDictionary(p => p.Key, p => p.Value.Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList());
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            foreach (var name in new[] { KnownNames.EventListenerAttribute, KnownNames.EventAttribute, KnownNames.EventFilterAttribute })
            {
                _found[name] = new List<string>();
                var found = context.SyntaxProvider.ForAttributeWithMetadataName(name, static (_, _) => true, static (ctx, _) => TypeNames.FullName((ITypeSymbol)ctx.TargetSymbol)).Collect();
                context.RegisterSourceOutput(found, (_, all) => _found[name].AddRange(all));
            }
        }
    }
}
