using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.CodeFixes;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Tests.Listeners;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Generator.Tests.CodeFixes;

/// <summary>Fix All (the IDE's "fix all occurrences" and <c>dotnet format analyzers</c>) for every code fix, and ER0001's ranking.</summary>
public sealed class FixAllTests
{
    private const string Events = """
        public sealed record GetStock(string Sku);
        [Event("orders.placed")] public sealed record OrderPlaced(string Id);

        """;

    [Fact]
    public void EveryCodeFix_SupportsFixAll()
    {
        var providers = typeof(AddListenerInterfaceCodeFix).Assembly.GetTypes()
            .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (CodeFixProvider)System.Activator.CreateInstance(t)!)
            .ToList();

        Assert.Equal(3, providers.Count);
        Assert.All(providers, p => Assert.Same(WellKnownFixAllProviders.BatchFixer, p.GetFixAllProvider()));
    }

    [Fact]
    public async Task ER0001_EventMarkedTypeRanksAheadOfOtherRecords()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events + "[EventListener] public sealed class Audit { }\n");

        var actions = await CodeFixHarness.ActionsAsync(document, new AddListenerInterfaceCodeFix(), "ER0001");

        Assert.Equal(new[] { "Implement IEventListener<OrderPlaced>", "Implement IEventListener<GetStock>" }, actions.Select(a => a.Title));
        Assert.Equal(AddListenerInterfaceCodeFix.BestCandidateKey, actions[0].EquivalenceKey);
    }

    [Fact]
    public async Task ER0001_FixAllInDocument_GivesEveryListenerItsBestCandidate()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events
            + "[EventListener] public sealed class Audit { }\n[EventListener] public sealed class Mailer { }\n");

        var fixedDocument = await FixAllAsync(document, new AddListenerInterfaceCodeFix(), AddListenerInterfaceCodeFix.BestCandidateKey, new ListenerAnalyzer());

        var text = (await fixedDocument.GetTextAsync()).ToString();
        Assert.Contains("public sealed class Audit : IEventListener<OrderPlaced>", text);
        Assert.Contains("public sealed class Mailer : IEventListener<OrderPlaced>", text);
        Assert.Empty(await CodeFixHarness.AnalyzeAsync(fixedDocument));
        await CodeFixHarness.AssertCompilesAsync(fixedDocument);
    }

    [Fact]
    public async Task ER0002_FixAllInDocument_MakesEveryListenerConcrete()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events
            + "[EventListener] public abstract class A : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; }\n"
            + "[EventListener] public abstract class B : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; }\n");
        var key = (await CodeFixHarness.ActionsAsync(document, new MakeListenerConcreteCodeFix(), "ER0002")).First().EquivalenceKey!;

        var fixedDocument = await FixAllAsync(document, new MakeListenerConcreteCodeFix(), key, new ListenerAnalyzer());

        Assert.DoesNotContain("abstract", (await fixedDocument.GetTextAsync()).ToString());
        Assert.Empty(await CodeFixHarness.AnalyzeAsync(fixedDocument));
    }

    /// <summary>Runs the provider's Fix All over the document for every diagnostic it fixes, as the IDE does.</summary>
    private static async Task<Document> FixAllAsync(Document document, CodeFixProvider provider, string equivalenceKey, DiagnosticAnalyzer analyzer)
    {
        var diagnostics = (await CodeFixHarness.AnalyzeAsync(document, analyzer)).Where(d => provider.FixableDiagnosticIds.Contains(d.Id)).ToImmutableArray();
        Assert.True(diagnostics.Length >= 2, "the test needs at least two diagnostics to fix");
        var context = new FixAllContext(
            document,
            provider,
            FixAllScope.Document,
            equivalenceKey,
            provider.FixableDiagnosticIds,
            new Diagnostics(diagnostics),
            CancellationToken.None);
        var action = await provider.GetFixAllProvider()!.GetFixAsync(context);
        Assert.NotNull(action);
        return await CodeFixHarness.ApplyAsync(document, action);
    }

    private sealed class Diagnostics(ImmutableArray<Diagnostic> all) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(all);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(all);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(all);
    }
}
