using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Tests.Listeners;

public sealed class GeneratorBehaviorTests
{
    [Fact]
    public void UnrelatedEdit_LeavesTableCached()
    {
        var compilation = GeneratorHarness.Compile(Sources.Polymorphic);
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace App; class Unrelated { int X => 1; }", GeneratorHarness.ParseOptions));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var table = result.TrackedSteps[TrackingNames.Table];
        Assert.All(table.SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    /// <summary>Listeners and their events spread over files, as an application has them, and one file with neither.</summary>
    private static readonly string[] s_spreadOut =
    {
        Sources.Usings + """
            namespace App.Orders;
            public sealed record OrderPlaced(int Id);
            [EventListener] public sealed class Audit : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; }
            [EventListener] public sealed class Billing : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) { Count++; return default; } public static int Count; }
            """,
        Sources.Usings + """
            namespace App.Shipping;
            public sealed record Shipped(int Id) : App.IDomainEvent;
            [EventListener] public sealed class Tracker : IEventListener<Shipped>, IEventListener<App.Orders.OrderPlaced>
            {
                public ValueTask HandleAsync(Shipped e, CancellationToken ct) => default;
                public ValueTask HandleAsync(App.Orders.OrderPlaced e, CancellationToken ct) => default;
            }
            [EventListener(Lifetime = ListenerLifetime.Scoped)] public sealed class DomainLog : IEventListener<App.IDomainEvent> { public ValueTask HandleAsync(App.IDomainEvent e, CancellationToken ct) => default; }
            """,
        "namespace App; public interface IDomainEvent { }",
        "namespace App; public static class Unrelated { public static int Compute(int x) => x + 1; }",
    };

    [Theory]
    [InlineData("x + 1", "x + 2")]                    // a file without listeners or events
    [InlineData("{ Count++; return default; }", "{ Count += 2; return default; }")] // inside one listener's method
    public void UnrelatedEdit_LeavesEveryListenerTransformCachedOrUnchanged(string before, string after)
    {
        var compilation = GeneratorHarness.Compile(s_spreadOut);
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single(t => t.ToString().Contains(before, StringComparison.Ordinal));
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            tree.ToString().Replace(before, after, StringComparison.Ordinal), GeneratorHarness.ParseOptions, tree.FilePath));

        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        // One output per listener class, each reported by name of its step: none re-derived into a different model.
        var listeners = result.TrackedSteps[TrackingNames.Listeners].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(4, listeners.Count);
        foreach (var name in new[] { TrackingNames.Listeners, TrackingNames.NamedEvents, TrackingNames.Candidates, TrackingNames.Filters, TrackingNames.Table })
        {
            Assert.All(result.TrackedSteps.TryGetValue(name, out var steps) ? steps.SelectMany(s => s.Outputs) : Enumerable.Empty<(object, IncrementalStepRunReason)>(), o =>
                Assert.True(o.Item2 is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {o.Item2}"));
        }
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void EditInsideListenerMethodBody_LeavesTableUnchanged()
    {
        var before = GeneratorHarness.Compile(Sources.OneListener);
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(before);
        var tree = before.SyntaxTrees.Single();
        var after = before.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            tree.ToString().Replace("Last = e.Data;", "Last = e.Data + \"!\";", StringComparison.Ordinal), GeneratorHarness.ParseOptions));

        var result = driver.RunGenerators(after).GetRunResult().Results.Single();

        Assert.All(result.TrackedSteps[TrackingNames.Table].SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void AddingAListener_ChangesTheTable()
    {
        var before = GeneratorHarness.Compile(Sources.OneListener);
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(before);
        var after = before.AddSyntaxTrees(CSharpSyntaxTree.ParseText(Sources.Usings + """
            namespace App;
            [EventListener] public sealed class Second : IEventListener<TestEvent> { public ValueTask HandleAsync(TestEvent e, CancellationToken ct) => default; }
            """, GeneratorHarness.ParseOptions));

        var result = driver.RunGenerators(after).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[TrackingNames.Table].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("App.Second", result.GeneratedSources.Single(s => s.HintName == "EventRouter.EventDispatcher.g.cs").SourceText.ToString());
    }

    [Fact]
    public void PipelineModels_ContainNoRoslynObjects()
    {
        var compilation = GeneratorHarness.Compile(Sources.Polymorphic, Sources.DiLifetimes.Replace("namespace App;", "namespace App2;"));
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(compilation);
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;

        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        // Only our own named steps: Roslyn's internal steps legitimately hold syntax and compilations.
        // DeclarationCompilation holds the compilation by design: it is the gate the semantic steps read.
        var ours = new[] { TrackingNames.FileShapes, TrackingNames.Declarations, TrackingNames.Listeners, TrackingNames.NamedEvents, TrackingNames.Candidates, TrackingNames.References, TrackingNames.Table };
        foreach (var output in steps.Where(s => ours.Contains(s.Key)).SelectMany(s => s.Value).SelectMany(s => s.Outputs))
        {
            Walk(output.Value, visited);
        }
        Assert.Contains(visited, v => v is TableModel);

        static void Walk(object? value, HashSet<object> visited)
        {
            if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
            {
                return;
            }
            Assert.False(value is ISymbol or Compilation or SyntaxNode or Location or SemanticModel, $"Pipeline model holds a {value.GetType()}");
            var isDefaultArray = value.GetType().GetProperty("IsDefault")?.GetValue(value) is true;
            if (value is IEnumerable items && !isDefaultArray)
            {
                foreach (var item in items)
                {
                    Walk(item, visited);
                }
            }
            foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                Walk(field.GetValue(value), visited);
            }
        }
    }

    [Fact]
    public void ReorderedDeclarations_ProduceIdenticalOutput()
    {
        var first = Generate(Sources.Polymorphic, Sources.ManyListeners.Replace("namespace App;", "namespace Other;"));
        var second = Generate(Sources.ManyListeners.Replace("namespace App;", "namespace Other;"), Sources.Polymorphic);

        Assert.Equal(first, second);

        // Listener order inside one file is ordinal by name, not declaration order (C, A, B in the source).
        var (output, _, _) = GeneratorHarness.Run(GeneratorHarness.Compile(Sources.ManyListeners), new EventRouterGenerator());
        var dispatcher = (EventDispatcherBase)Activator.CreateInstance(GeneratorHarness.Load(output).GetType("EventRouter.Generated.EventDispatcher")!)!;
        var route = dispatcher.Routes.Single(r => r.EventType.Name == "OrderPlaced");
        Assert.Equal(new[] { "App.A", "App.B", "App.C" }, route.Listeners.Select(l => l.Name));
    }

    [Fact]
    public void BrokenCode_GeneratorDoesNotThrowAndValidRestStillCompiles()
    {
        var compilation = GeneratorHarness.Compile(Sources.OneListener, Sources.Usings + """
            namespace App;
            [EventListener] public sealed class Broken : IEventListener<DoesNotExist> { public ValueTask HandleAsync(DoesNotExist e, CancellationToken ct) => default; }
            [EventListener] public sealed class Half : IEventListener<
            """);

        var (output, result, _) = GeneratorHarness.Run(compilation, new EventRouterGenerator());

        Assert.Empty(result.Diagnostics); // no CS8785 "generator threw"
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        var generated = output.SyntaxTrees.Where(t => t.FilePath.Contains("EventRouter.Generator", StringComparison.Ordinal));
        Assert.All(generated, t => Assert.Empty(output.GetSemanticModel(t).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)));
        Assert.Contains("App.TestListener", string.Join("\n", generated.Select(t => t.ToString())));
    }

    [Fact]
    public async Task GeneratedDispatcher_CompilesAndRuns()
    {
        var (output, _, _) = GeneratorHarness.Run(GeneratorHarness.Compile(Sources.OneListener + """

            public static class Entry
            {
                public static async System.Threading.Tasks.Task<string?> RunAsync()
                {
                    var dispatcher = new EventRouter.Generated.EventDispatcher();
                    await dispatcher.PublishAsync(new TestEvent("Hello"));
                    return TestListener.Last;
                }
            }
            """), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);

        var assembly = GeneratorHarness.Load(output);
        var run = assembly.GetType("App.Entry")!.GetMethod("RunAsync")!;
        var result = await (Task<string?>)run.Invoke(null, null)!;

        Assert.Equal("Hello", result);
    }

    [Fact]
    public async Task LargeTable_UsesDictionaryLookupAndStillRoutesEveryEvent()
    {
        var events = string.Join("\n", Enumerable.Range(0, EventRouterGenerator.Emitter.ChainLimit + 5).Select(i =>
            $"public sealed record E{i}(int N); [EventListener] public sealed class L{i} : IEventListener<E{i}> {{ public static int Seen; public ValueTask HandleAsync(E{i} e, CancellationToken ct) {{ Seen += e.N; return default; }} }}"));
        var source = Sources.Usings + "namespace App;\n" + events + """

            public static class Entry
            {
                public static async System.Threading.Tasks.Task<int> RunAsync()
                {
                    var dispatcher = new EventRouter.Generated.EventDispatcher();
                    await dispatcher.PublishAsync((object)new E3(1));
                    await dispatcher.PublishAsync<E20>(new E20(2));
                    await dispatcher.PublishAsync(new E7(4));
                    await dispatcher.PublishAsync<object>(new E5(8));                        // no route for object: the runtime type's
                    await ((EventRouter.EventDispatcherBase)dispatcher).PublishAsync(new E9(16)); // through the base class
                    await dispatcher.PublishAsync<E20>(new E20(32));                         // the route found once per type, again
                    return L3.Seen + L20.Seen + L7.Seen + L5.Seen + L9.Seen;
                }
            }
            """;
        var (output, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(source), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        Assert.Contains("FrozenDictionary", GeneratorHarness.GeneratedSource(result, "EventRouter.EventDispatcher.g.cs"));

        var total = await (Task<int>)GeneratorHarness.Load(output).GetType("App.Entry")!.GetMethod("RunAsync")!.Invoke(null, null)!;

        Assert.Equal(63, total);
    }

    [Fact]
    public async Task ReferencedProjectListeners_AreDispatchedByTheApplication()
    {
        var library = GeneratorHarness.Run(GeneratorHarness.Compile("Orders.Listeners", System.Array.Empty<MetadataReference>(), Sources.Usings + """
            namespace Orders;
            public interface IOrderEvent { }
            public sealed record OrderPlaced(int Id) : IOrderEvent;
            [EventListener]
            public sealed class LibraryListener : IEventListener<OrderPlaced>
            {
                public static int Seen;
                public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) { Seen += e.Id; return default; }
            }
            [EventListener]
            internal sealed class InternalListener : IEventListener<OrderPlaced>
            {
                public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => throw new System.InvalidOperationException("internal listeners stay in their assembly");
            }
            """), new EventRouterGenerator());
        GeneratorHarness.AssertClean(library.Output);
        var libraryReference = GeneratorHarness.ToReference(library.Output);

        var app = GeneratorHarness.Run(GeneratorHarness.Compile("Orders.App", new[] { libraryReference }, Sources.Usings + """
            namespace App;
            [EventListener]
            public sealed class AppListener : IEventListener<Orders.IOrderEvent>
            {
                public static int Seen;
                public ValueTask HandleAsync(Orders.IOrderEvent e, CancellationToken ct) { Seen += 10; return default; }
            }
            public static class Entry
            {
                public static async System.Threading.Tasks.Task<int> RunAsync()
                {
                    await new EventRouter.Generated.EventDispatcher().PublishAsync(new Orders.OrderPlaced(1));
                    return Orders.LibraryListener.Seen + AppListener.Seen;
                }
            }
            """), new EventRouterGenerator());
        GeneratorHarness.AssertClean(app.Output);
        var generated = GeneratorHarness.GeneratedSource(app.Result, "EventRouter.EventDispatcher.g.cs");
        Assert.Contains("Orders.LibraryListener", generated);
        Assert.DoesNotContain("InternalListener", generated);
        Snapshot.Match(generated, "Listeners/ReferencedProject.EventDispatcher");

        // Load the library into the same context as the app so the types unify.
        var context = new System.Runtime.Loader.AssemblyLoadContext("multi-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        context.LoadFromStream(new System.IO.MemoryStream(Emit(library.Output)));
        var appAssembly = context.LoadFromStream(new System.IO.MemoryStream(Emit(app.Output)));
        var total = await (Task<int>)appAssembly.GetType("App.Entry")!.GetMethod("RunAsync")!.Invoke(null, null)!;

        Assert.Equal(11, total);
    }

    private static byte[] Emit(Compilation compilation)
    {
        using var stream = new System.IO.MemoryStream();
        Assert.True(compilation.Emit(stream).Success);
        return stream.ToArray();
    }

    private static string Generate(params string[] sources)
    {
        var (_, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(sources), new EventRouterGenerator());
        return GeneratorHarness.GeneratedSource(result, "EventRouter.EventDispatcher.g.cs");
    }
}
