using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Listeners;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace EventRouter.Generator.Tests.CodeFixes;

/// <summary>
/// Drives a code fix the way the IDE does: a document in an <see cref="AdhocWorkspace"/>, the analyzer's diagnostics,
/// the provider's registered actions, the applied change. Not the testing package's code fix test, because a fixed
/// module server is only right when its generated client compiles, so the fixed document is compiled with the
/// generators run on it (<see cref="AssertCompilesAsync"/>), which that test does not do.
/// </summary>
internal static class CodeFixHarness
{
    public static Document CreateDocument(string source)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.CurrentSolution
            .AddProject("App", "App", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }))
            .WithParseOptions(GeneratorHarness.ParseOptions)
            .WithMetadataReferences(GeneratorHarness.References);
        return project.AddDocument("Listeners.cs", source);
    }

    /// <summary>Diagnostics of <paramref name="analyzers"/> (default: the listener analyzer) on the document's project.</summary>
    public static async Task<IReadOnlyList<Diagnostic>> AnalyzeAsync(Document document, params DiagnosticAnalyzer[] analyzers)
    {
        var compilation = (await document.Project.GetCompilationAsync())!;
        return GeneratorHarness.Analyze(compilation, analyzers.Length > 0 ? analyzers : new DiagnosticAnalyzer[] { new ListenerAnalyzer() });
    }

    /// <summary>The actions <paramref name="provider"/> offers for the first diagnostic with <paramref name="id"/>.</summary>
    public static async Task<IReadOnlyList<CodeAction>> ActionsAsync(Document document, CodeFixProvider provider, string id, params DiagnosticAnalyzer[] analyzers)
    {
        var diagnostic = (await AnalyzeAsync(document, analyzers)).First(d => d.Id == id);
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await provider.RegisterCodeFixesAsync(context);
        return actions;
    }

    /// <summary>Applies an action (with the IDE's simplification and formatting) and returns the changed document.</summary>
    public static async Task<Document> ApplyAsync(Document document, CodeAction action)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return solution.GetDocument(document.Id)!;
    }

    /// <summary>Asserts the document compiles, with the generator run on it, with no error or warning.</summary>
    public static async Task AssertCompilesAsync(Document document, params IIncrementalGenerator[] generators)
    {
        var compilation = (await document.Project.GetCompilationAsync())!;
        var (output, _, _) = GeneratorHarness.Run(compilation, generators.Length > 0 ? generators : new IIncrementalGenerator[] { new EventRouterGenerator() });
        var problems = GeneratorHarness.Problems(output);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n\n" + await document.GetTextAsync());
    }

    public static ImmutableArray<string> Ids(IEnumerable<Diagnostic> diagnostics) => diagnostics.Select(d => d.Id).ToImmutableArray();
}
