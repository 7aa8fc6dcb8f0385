using System;
using System.Linq;
using EventRouter.Generator.Diagnostics;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Tests.Modules;

public sealed class ModuleFilterGeneratorTests
{
    private static GeneratorDriverRunResult Generate(string source, out Compilation output)
    {
        var (compiled, result, _) = GeneratorHarness.Run(ModuleServerGeneratorTests.Compile(source), new ModuleServerGenerator(), new EventRouterGenerator());
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        output = compiled;
        return result;
    }

    [Fact]
    public void Generate_FilteredModule_MatchesSnapshot()
    {
        var result = Generate(ModuleSources.Filtered, out var output);

        GeneratorHarness.AssertClean(output);
        Snapshot.Match(GeneratorHarness.GeneratedSource(result, "Shop.Orders.ModuleServer.g.cs"), "ModuleServer_Filtered");
    }

    [Fact]
    public void Generate_FilteredModule_EachHandlerGetsItsApplicableFiltersInOrder()
    {
        var generated = GeneratorHarness.GeneratedSource(Generate(ModuleSources.Filtered, out _), "Shop.Orders.ModuleServer.g.cs");

        // Requests are ordered GetStatus, Ping, PlaceOrder; filters are numbered by first use: Timing, Audit, Tenant.
        Assert.Contains("RequestCoreAsync<global::Shop.GetStatus, string?>(RequestChain0, request, cancellationToken);", generated);
        Assert.Contains("RequestCoreAsync<global::Shop.Ping, bool>(Module, request, cancellationToken);", generated);
        Assert.Contains("RequestCoreAsync<global::Shop.PlaceOrder, int>(RequestChain2, request, cancellationToken);", generated);
        Assert.Contains("SendCoreAsync<global::Shop.Cancel>(CommandChain0, command, cancellationToken);", generated);
        Assert.Contains("_requestChain0 ??= new global::EventRouter.CompilerServices.RequestFilterChain<global::Shop.GetStatus, string?>(server, Module, () => new global::EventRouter.IModuleFilter[] { Filter0 }) : Module;", generated);
        Assert.Contains("_requestChain2 ??= new global::EventRouter.CompilerServices.RequestFilterChain<global::Shop.PlaceOrder, int>(server, Module, () => new global::EventRouter.IModuleFilter[] { Filter0, Filter1, Filter2 }) : Module;", generated);
        Assert.Contains("_commandChain0 ??= new global::EventRouter.CompilerServices.CommandFilterChain<global::Shop.Cancel>(server, Module, () => new global::EventRouter.IModuleFilter[] { Filter1, Filter2 }) : Module;", generated);
        Assert.DoesNotContain("_requestChain1", generated);
        Assert.DoesNotContain("EventsOnly", generated);
    }

    [Fact]
    public void Generate_FilterWithoutParameterlessConstructor_IsResolvedFromTheServersServicesOnly()
    {
        var generated = GeneratorHarness.GeneratedSource(Generate(ModuleSources.Filtered, out _), "Shop.Orders.ModuleServer.g.cs");

        Assert.Contains("private global::Shop.Tenant Filter2 => _filter2 ?? global::EventRouter.CompilerServices.ModuleFilterFactory.InitializeSingleton(ref _filter2, Server!, null);", generated);
        Assert.Contains("InitializeSingleton(ref _filter0, Server!, static () => new global::Shop.Timing());", generated);
        // AddModuleServer registers the module's filters, so their constructor dependencies come from the container.
        Assert.Contains("TryAdd(services, global::Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton<global::Shop.Tenant, global::Shop.Tenant>());", generated);
    }

    [Fact]
    public void Generate_ModuleNoFilterAppliesTo_IsIdenticalToACompilationWithoutFilters()
    {
        var withFilters = GeneratorHarness.GeneratedSource(Generate(ModuleSources.Filtered, out _), "Shop.Plain.ModuleServer.g.cs");
        var withoutFilters = GeneratorHarness.GeneratedSource(Generate(WithoutFilters(ModuleSources.Filtered), out _), "Shop.Plain.ModuleServer.g.cs");

        Assert.Equal(withoutFilters, withFilters);
        Assert.DoesNotContain("Filter", withFilters);
    }

    [Fact]
    public void Generate_FilterKinds_EventGeneratorWrapsListenersOnlyWithEventFilters()
    {
        var dispatcher = GeneratorHarness.GeneratedSource(Generate(ModuleSources.Filtered, out _), "EventRouter.EventDispatcher.g.cs");

        // Tenant implements both interfaces; Timing and Audit are module filters only.
        // The generated chain calls both event filters (Tenant outermost) and no third one.
        Assert.Contains("Invoke0(", dispatcher);
        Assert.Contains("_dispatcher.Filter0", dispatcher);
        Assert.Contains("_dispatcher.Filter1", dispatcher);
        Assert.DoesNotContain("Filter2", dispatcher);
        Assert.Contains("private global::Shop.Tenant? _filter0;", dispatcher);
        Assert.Contains("private global::Shop.EventsOnly? _filter1;", dispatcher);
        Assert.DoesNotContain("Timing", dispatcher);
        Assert.DoesNotContain("Audit", dispatcher);
    }

    [Fact]
    public void Generate_UnrelatedEdit_FilterAndOutputStepsAreCachedOrUnchanged()
    {
        var compilation = ModuleServerGeneratorTests.Compile(ModuleSources.Filtered, "class Unrelated { }");
        var driver = GeneratorHarness.CreateDriver(new ModuleServerGenerator()).RunGenerators(compilation);

        var unrelated = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText("class Unrelated { int _changed; }", GeneratorHarness.ParseOptions, path: unrelated.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var name in new[] { ModuleTrackingNames.Filters, ModuleTrackingNames.Output })
        {
            Assert.All(result.TrackedSteps[name].SelectMany(s => s.Outputs), o =>
                Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {o.Reason}"));
        }
    }

    [Fact]
    public void Generate_EditInsideFilterBody_OutputIsUnchanged_NewFilterChangesIt()
    {
        var compilation = ModuleServerGeneratorTests.Compile(ModuleSources.Filtered);
        var driver = GeneratorHarness.CreateDriver(new ModuleServerGenerator()).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();

        var bodyEdit = ModuleSources.Filtered.Replace("public Tenant(IServiceProvider services) { }", "public Tenant(IServiceProvider services) { _ = services; }");
        Assert.NotEqual(ModuleSources.Filtered, bodyEdit);
        var afterBodyEdit = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(bodyEdit, GeneratorHarness.ParseOptions, path: tree.FilePath)));
        Assert.All(afterBodyEdit.GetRunResult().Results.Single().TrackedSteps[ModuleTrackingNames.Output].SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));

        var newFilter = ModuleSources.Filtered.Replace("public interface IOrderMessage { }",
            "public interface IOrderMessage { }\n[EventFilter(Order = 9)] public sealed class Extra : IModuleFilter { }");
        var afterNewFilter = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(newFilter, GeneratorHarness.ParseOptions, path: tree.FilePath)));
        Assert.Contains(afterNewFilter.GetRunResult().Results.Single().TrackedSteps[ModuleTrackingNames.Output].SelectMany(s => s.Outputs),
            o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void ER0006_ModuleFilterShapes()
    {
        var found = Analyze("""
            [EventFilter] public sealed class NotAFilter { }
            [EventFilter] public sealed class ModuleOnly : IModuleFilter { }
            [EventFilter] public abstract class AbstractModuleFilter : IModuleFilter { }
            [EventFilter] public sealed class NoConstructor : IModuleFilter { private NoConstructor() { } }
            [EventFilter(Order = 1)] public sealed class WithDependency : IModuleFilter { public WithDependency(IServiceProvider services) { } }
            """);

        Assert.Equal(new[] { ("ER0006", 0), ("ER0006", 2), ("ER0006", 3) }, found);
    }

    [Fact]
    public void ER0006_NeitherInterface_MessageNamesBoth()
    {
        var compilation = GeneratorHarness.Compile(Sources.Usings + "namespace App;\n[EventFilter] public sealed class NotAFilter { }");

        var diagnostic = Assert.Single(GeneratorHarness.Analyze(compilation, new FilterAnalyzer()));

        Assert.Contains("implements neither IEventFilter nor IModuleFilter", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ER0007_OnlyFiltersThatCanShareAChainConflict()
    {
        var found = Analyze("""
            [EventFilter(Order = 1)] public sealed class EventA : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            [EventFilter(Order = 1)] public sealed class ModuleA : IModuleFilter { }
            [EventFilter(Order = 2)] public sealed class ModuleB : IModuleFilter { }
            [EventFilter(Order = 2)] public sealed class ModuleC : IModuleFilter { }
            [EventFilter(Order = 3)] public sealed class BothD : IModuleFilter, IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            [EventFilter(Order = 3)] public sealed class EventE : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            [EventFilter(Order = 3)] public sealed class ModuleF : IModuleFilter { }
            """);

        // EventA/ModuleA never meet; ModuleB/ModuleC do; BothD meets EventE and ModuleF (each reported once).
        Assert.Equal(new[] { ("ER0007", 3), ("ER0007", 5), ("ER0007", 6) }, found);
    }

    private static (string Id, int Line)[] Analyze(string body)
    {
        var compilation = GeneratorHarness.Compile(Sources.Usings + "namespace App;\n" + body);
        return GeneratorHarness.Analyze(compilation, new FilterAnalyzer())
            .Select(d => (d.Id, d.Location.GetLineSpan().StartLinePosition.Line - 5))
            .ToArray();
    }

    /// <summary>The same source with every [EventFilter] class removed.</summary>
    private static string WithoutFilters(string source)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetRoot();
        var filters = root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>()
            .Where(c => c.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() == "EventFilter"));
        var stripped = root.RemoveNodes(filters, SyntaxRemoveOptions.KeepNoTrivia)!.ToFullString();
        Assert.DoesNotContain("EventFilter", stripped);
        return stripped;
    }
}
