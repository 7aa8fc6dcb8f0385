using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Modules.Models;
using EventRouter.Generator.Shared;
using EventRouter.Modules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Tests.Modules;

public sealed class ModuleServerGeneratorTests
{
    /// <summary>
    /// A compilation like the SDK builds it: CS1701/CS1702 (the runtime was built against older Microsoft.Extensions
    /// versions than the test host loads) are suppressed by default in every SDK project.
    /// </summary>
    internal static CSharpCompilation Compile(params string[] sources)
    {
        var compilation = GeneratorHarness.Compile(sources);
        return compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
        {
            ["CS1701"] = ReportDiagnostic.Suppress,
            ["CS1702"] = ReportDiagnostic.Suppress,
        }));
    }

    private static (Compilation Output, GeneratorDriverRunResult Result) Generate(params string[] sources)
    {
        var (output, result, _) = GeneratorHarness.Run(Compile(sources), new ModuleServerGenerator());
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        return (output, result);
    }

    [Fact]
    public void Generate_InventoryModule_MatchesSnapshot()
    {
        var (output, result) = Generate(ModuleSources.Inventory);

        GeneratorHarness.AssertClean(output);
        Snapshot.Match(GeneratorHarness.GeneratedSource(result, "Sample.Inventory.InventoryModule.ModuleServer.g.cs"), "Modules/Inventory.ModuleServer");
    }

    [Fact]
    public void Generate_StreamingModule_MatchesSnapshot()
    {
        var (output, result) = GenerateWithEvents(ModuleSources.Feed);

        GeneratorHarness.AssertClean(output);
        Snapshot.Match(GeneratorHarness.GeneratedSource(result, "News.Newsroom.ModuleServer.g.cs"), "Modules/Feed.ModuleServer");
        Snapshot.Match(GeneratorHarness.GeneratedSource(result, "EventRouter.EventMap.Modules.g.cs"), "Modules/Feed.EventMap.Modules");
    }

    [Fact]
    public async Task Generate_StreamingModule_StreamsThroughTheTypedClientInsideItsFilter()
    {
        var (output, _) = GenerateWithEvents(ModuleSources.Feed);
        GeneratorHarness.AssertClean(output);

        var run = GeneratorHarness.Load(output).GetType("News.Runner")!.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!;
        var text = await ((Task<string>)run.Invoke(null, null)!).WaitAsync(TimeSpan.FromSeconds(20));

        // Headlines is an IFeedMessage: the filter opens before the first item and closes after the last; Prices is not filtered.
        Assert.Equal("a,b,c,d,X,none|[ item item item item ]|d", text);
    }

    [Fact]
    public void Generate_StreamingModule_VisitMessagesNamesTheStreams()
    {
        var model = ModuleWithStream();

        // Long lines are broken by the writer: compare without whitespace.
        var source = string.Concat(ModuleServerGenerator.Emitter.Write(model).Where(static c => !char.IsWhiteSpace(c)));

        Assert.Contains("visitor.Stream<global::Shop.Watch,global::Shop.Tick>(StreamAsync);", source);
        Assert.Contains("publicglobal::System.Collections.Generic.IAsyncEnumerable<global::Shop.Tick>StreamAsync(global::Shop.Watchrequest,global::System.Threading.CancellationTokencancellationToken=default)=>StreamCoreAsync<global::Shop.Watch,global::Shop.Tick>(Module,request,cancellationToken);", source);
    }

    private static ModuleModel ModuleWithStream() =>
        new ModuleModel("Shop", "Ticker", "global::Shop.Ticker", IsPublic: true, EquatableArray<ModuleRequestModel>.Empty, EquatableArray<ModuleCommandModel>.Empty)
        {
            Streams = new[] { new ModuleStreamModel("global::Shop.Watch", "global::Shop.Tick") }.ToEquatableArray(),
        };

    /// <summary>Both generators: a module filter needs the event generator's part of the project too.</summary>
    private static (Compilation Output, GeneratorDriverRunResult Result) GenerateWithEvents(params string[] sources)
    {
        var (output, result, _) = GeneratorHarness.Run(Compile(sources), new ModuleServerGenerator(), new EventRouter.Generator.Listeners.EventRouterGenerator());
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        return (output, result);
    }

    [Fact]
    public void Generate_InternalModuleInGlobalNamespace_MatchesSnapshot()
    {
        var (output, result) = Generate(ModuleSources.GlobalInternal);

        GeneratorHarness.AssertClean(output);
        Snapshot.Match(GeneratorHarness.GeneratedSource(result, "Counter.ModuleServer.g.cs"), "Modules/GlobalInternal.ModuleServer");
    }

    [Fact]
    public void Generate_ModuleEmitter_FromHandBuiltModelMatchesSnapshot()
    {
        var model = new ModuleModel(
            "Shop",
            "Orders",
            "global::Shop.Orders",
            IsPublic: true,
            new[] { new ModuleRequestModel("global::Shop.PlaceOrder", "global::Shop.OrderId"), new ModuleRequestModel("global::Shop.Query", "global::System.Collections.Generic.List<global::Shop.Order?>") }.ToEquatableArray(),
            new[] { new ModuleCommandModel("global::Shop.Cancel") }.ToEquatableArray());

        Snapshot.Match(ModuleServerGenerator.Emitter.Write(model), "Modules/HandBuiltModel.ModuleServer");
    }

    [Fact]
    public async Task Generate_InventoryModule_CompilesAndRunsThroughTheTypedClient()
    {
        var (output, _) = Generate(ModuleSources.Inventory, ModuleSources.InventoryRunner);
        GeneratorHarness.AssertClean(output);

        var assembly = GeneratorHarness.Load(output);
        var run = assembly.GetType("Sample.Inventory.Runner")!.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!;
        var text = await ((Task<string>)run.Invoke(null, null)!).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("True|1,2|ABC|logged", text);
    }

    [Fact]
    public void Generate_DocumentationDiagnosticsOn_GeneratedCommentsAreValid()
    {
        // As in a project with GenerateDocumentationFile and TreatWarningsAsErrors: every public generated member is
        // documented and every cref resolves (arrays, generics and nullable types included).
        var parseOptions = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var input = Compile(ModuleSources.Inventory, ModuleSources.GlobalInternal.Replace("internal", "public"));
        input = input.RemoveAllSyntaxTrees().AddSyntaxTrees(input.SyntaxTrees.Select(t => CSharpSyntaxTree.ParseText(t.GetText(), parseOptions, t.FilePath)));
        var driver = CSharpGeneratorDriver.Create(new[] { new ModuleServerGenerator().AsSourceGenerator() }, parseOptions: parseOptions);

        driver.RunGeneratorsAndUpdateCompilation(input, out var output, out _);

        var generatedTrees = output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, generatedTrees.Count); // two modules and the modules' part of the event map
        var documentationProblems = output.GetDiagnostics()
            .Where(d => d.Location.SourceTree is { } tree && generatedTrees.Contains(tree) && d.Severity >= DiagnosticSeverity.Warning)
            .ToList();
        Assert.Empty(documentationProblems);
        // The check is live: the hand-written (undocumented) test sources do get CS1591.
        Assert.Contains(output.GetDiagnostics(), d => d.Id == "CS1591" && !generatedTrees.Contains(d.Location.SourceTree!));
    }

    [Fact]
    public void Generate_RequestTypeTheModuleDoesNotHandle_DoesNotCompile()
    {
        const string caller = """
            namespace Sample.Inventory
            {
                public sealed record Unhandled;
                public static class BadCaller
                {
                    public static object Call(InventoryModuleClient client) => client.RequestAsync(new Unhandled());
                    public static object Send(InventoryModuleClient client) => client.SendAsync(new GetData("k"));
                }
            }
            """;

        var (output, _) = Generate(ModuleSources.Inventory, caller);

        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, id => Assert.Equal("CS1503", id));
    }

    [Fact]
    public void Generate_ClientMethods_OnePerHandledTypeOrderedOrdinally()
    {
        var (_, result) = Generate(ModuleSources.Inventory);
        var source = GeneratorHarness.GeneratedSource(result, "InventoryModule.ModuleServer.g.cs");

        // Read from the syntax tree: the order and signatures of the client's methods, whatever the line breaks.
        var methods = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes()
            .OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>()
            .Where(m => m.Identifier.Text is "RequestAsync" or "SendAsync")
            .Select(m => $"{m.ReturnType} {m.Identifier.Text}({m.ParameterList.Parameters[0].Type})")
            .ToList();
        Assert.Equal(
            new[]
            {
                "global::System.Threading.Tasks.ValueTask<global::Sample.Inventory.Data> RequestAsync(global::Sample.Inventory.GetData)",
                "global::System.Threading.Tasks.ValueTask<bool> RequestAsync(global::Sample.Inventory.UpdateData)",
                "global::System.Threading.Tasks.ValueTask<string?> RequestAsync(string)",
                "global::System.Threading.Tasks.ValueTask SendAsync(global::Sample.Inventory.LogEvent)",
            },
            methods);
    }

    [Theory]
    [InlineData("public sealed class NotPartial : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }")]
    [InlineData("public sealed partial class Generic<T> : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }")]
    [InlineData("public abstract partial class Abstract : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }")]
    [InlineData("public static partial class Outer { [ModuleServer] public sealed partial class Nested : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); } }")]
    public void Generate_InvalidModuleClass_EmitsNothingAndDoesNotThrow(string declaration)
    {
        var source = "using System.Threading; using System.Threading.Tasks; using EventRouter; using EventRouter.Modules;\n"
            + (declaration.StartsWith("public static partial class Outer", StringComparison.Ordinal) ? declaration : "[ModuleServer] " + declaration);

        var (_, result) = Generate(source);

        // Only the modules' part of the event map, listing no module.
        var generated = Assert.Single(result.Results.SelectMany(r => r.GeneratedSources));
        Assert.Equal(ModuleServerGenerator.ModuleMapEmitter.HintName, generated.HintName);
        Assert.DoesNotContain("new Module(", generated.SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_DuplicateRequestType_LeavesOutOnlyThatType()
    {
        const string source = """
            using System.Threading; using System.Threading.Tasks; using EventRouter; using EventRouter.Modules;
            public sealed record Q; public sealed record C;
            [ModuleServer]
            public sealed partial class Twice : IRequestHandler<Q, int>, IRequestHandler<Q, string>, ICommandHandler<C>
            {
                ValueTask<int> IRequestHandler<Q, int>.HandleAsync(Q r, CancellationToken c) => new(1);
                ValueTask<string> IRequestHandler<Q, string>.HandleAsync(Q r, CancellationToken c) => new("1");
                public ValueTask HandleAsync(C c, CancellationToken t) => default;
            }
            """;

        var (output, result) = Generate(source);

        var generated = GeneratorHarness.GeneratedSource(result, "Twice.ModuleServer.g.cs");
        Assert.DoesNotContain("RequestAsync(", generated);
        Assert.Contains("SendAsync(global::C command", generated);
        GeneratorHarness.AssertClean(output);
    }

    [Fact]
    public void Generate_UnrelatedEdit_ModuleStepsAreCachedOrUnchanged()
    {
        var compilation = Compile(ModuleSources.Inventory, "class Unrelated { }");
        var driver = GeneratorHarness.CreateDriver(new ModuleServerGenerator()).RunGenerators(compilation);

        var unrelated = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText("class Unrelated { int _changed; }", GeneratorHarness.ParseOptions, path: unrelated.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var name in new[] { TrackingNames.ModuleServers, TrackingNames.ModuleServerOutput })
        {
            var steps = result.TrackedSteps[name];
            Assert.NotEmpty(steps);
            Assert.All(steps.SelectMany(s => s.Outputs), o =>
                Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {o.Reason}"));
        }
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Generate_EditInsideHandlerBody_ModelIsUnchanged()
    {
        var compilation = Compile(ModuleSources.Inventory);
        var driver = GeneratorHarness.CreateDriver(new ModuleServerGenerator()).RunGenerators(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(ModuleSources.Inventory.Replace("Events.Add(command.Text);", "Events.Add(command.Text + \"!\");"), GeneratorHarness.ParseOptions, path: tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.All(result.TrackedSteps[TrackingNames.ModuleServerOutput].SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Models_ContainNoRoslynTypes()
    {
        var forbidden = new[] { typeof(Compilation), typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(SemanticModel) };
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(new[] { typeof(ModuleModel) });
        while (pending.Count > 0)
        {
            var type = pending.Pop();
            if (!seen.Add(type) || type == typeof(string) || type.IsPrimitive)
            {
                continue;
            }
            Assert.DoesNotContain(forbidden, f => f.IsAssignableFrom(type));
            Assert.False(type.IsGenericType && type.GetGenericTypeDefinition() == typeof(System.Collections.Immutable.ImmutableArray<>), type.FullName);
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                var fieldType = field.FieldType;
                if (fieldType.IsGenericType && fieldType.GetGenericTypeDefinition() == typeof(EquatableArray<>))
                {
                    pending.Push(fieldType.GetGenericArguments()[0]);
                    continue;
                }
                pending.Push(fieldType);
            }
        }
        Assert.Contains(typeof(ModuleRequestModel), seen);
        Assert.Contains(typeof(ModuleCommandModel), seen);
    }
}
