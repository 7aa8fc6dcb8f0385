using System.Linq;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Shared;
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
        Snapshot.Match(GeneratorHarness.GeneratedSource(result, "Shop.Orders.ModuleServer.g.cs"), "Modules/Filtered.ModuleServer");
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
        Assert.Contains("_requestChain0 ??= new global::EventRouter.RequestFilterChain<global::Shop.GetStatus, string?>(server, Module, () => new global::EventRouter.IModuleFilter[] { Filter0 }) : Module;", generated);
        Assert.Contains("_requestChain2 ??= new global::EventRouter.RequestFilterChain<global::Shop.PlaceOrder, int>(server, Module, () => new global::EventRouter.IModuleFilter[] { Filter0, Filter1, Filter2 }) : Module;", generated);
        Assert.Contains("_commandChain0 ??= new global::EventRouter.CommandFilterChain<global::Shop.Cancel>(server, Module, () => new global::EventRouter.IModuleFilter[] { Filter1, Filter2 }) : Module;", generated);
        Assert.DoesNotContain("_requestChain1", generated);
        Assert.DoesNotContain("EventsOnly", generated);
    }

    [Fact]
    public void Generate_FilterWithoutParameterlessConstructor_IsResolvedFromTheServersServicesOnly()
    {
        var generated = GeneratorHarness.GeneratedSource(Generate(ModuleSources.Filtered, out _), "Shop.Orders.ModuleServer.g.cs");

        Assert.Contains("private global::Shop.Tenant Filter2 => _filter2 ?? global::EventRouter.ModuleFilterFactory.InitializeSingleton(ref _filter2, Server!, null);", generated);
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

        foreach (var name in new[] { TrackingNames.ModuleFilters, TrackingNames.ModuleServerOutput })
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
        Assert.All(afterBodyEdit.GetRunResult().Results.Single().TrackedSteps[TrackingNames.ModuleServerOutput].SelectMany(s => s.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));

        var newFilter = ModuleSources.Filtered.Replace("public interface IOrderMessage { }",
            "public interface IOrderMessage { }\n[EventFilter(Order = 9)] public sealed class Extra : IModuleFilter { }");
        var afterNewFilter = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(newFilter, GeneratorHarness.ParseOptions, path: tree.FilePath)));
        Assert.Contains(afterNewFilter.GetRunResult().Results.Single().TrackedSteps[TrackingNames.ModuleServerOutput].SelectMany(s => s.Outputs),
            o => o.Reason == IncrementalStepRunReason.Modified);
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
