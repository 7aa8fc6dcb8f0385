using System.Threading.Tasks;
using EventRouter.Generator.Diagnostics;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Tests.Listeners;
using Microsoft.CodeAnalysis.Testing;

namespace EventRouter.Generator.Tests.Diagnostics;

/// <summary>ER0006 (a filter the generators cannot use) and ER0007 (two filters of one chain with the same order), for event and module filters.</summary>
public sealed class FilterAnalyzerTests
{
    private const string EventFilterBody = "public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default;";

    private static Task VerifyAsync(string body) =>
        AnalyzerVerifier<FilterAnalyzer>.VerifyAsync(Sources.Usings + "namespace App;\n" + body.Replace("{EventFilterBody}", EventFilterBody));

    [Fact]
    public Task ER0006_InvalidEventFilterShape() =>
        VerifyAsync("""
            [{|ER0006:EventFilter|}] public sealed class NotAFilter { }
            [{|ER0006:EventFilter|}] public abstract class AbstractFilter : IEventFilter { {EventFilterBody} }
            [EventFilter(Order = 5)] public sealed class Good : IEventFilter { {EventFilterBody} }
            """);

    [Fact]
    public Task ER0006_ModuleFilterShapes() =>
        VerifyAsync("""
            [{|ER0006:EventFilter|}] public sealed class NotAFilter { }
            [EventFilter] public sealed class ModuleOnly : IModuleFilter { }
            [{|ER0006:EventFilter|}] public abstract class AbstractModuleFilter : IModuleFilter { }
            [{|ER0006:EventFilter|}] public sealed class NoConstructor : IModuleFilter { private NoConstructor() { } }
            [EventFilter(Order = 1)] public sealed class WithDependency : IModuleFilter { public WithDependency(IServiceProvider services) { } }
            """);

    [Fact]
    public Task ER0006_NeitherInterface_MessageNamesBoth() =>
        AnalyzerVerifier<FilterAnalyzer>.VerifyAsync(
            Sources.Usings + "namespace App;\n[{|#0:EventFilter|}] public sealed class NotAFilter { }",
            [],
            references: null,
            test => test.ExpectedDiagnostics.Add(new DiagnosticResult(DiagnosticDescriptors.InvalidFilter)
                .WithLocation(0)
                .WithArguments("App.NotAFilter", "implements neither IEventFilter nor IModuleFilter")));

    [Fact]
    public Task ER0007_FilterOrderConflict() =>
        VerifyAsync("""
            [EventFilter(Order = 3)] public sealed class A : IEventFilter { {EventFilterBody} }
            [{|ER0007:EventFilter(Order = 3)|}] public sealed class B : IEventFilter { {EventFilterBody} }
            [EventFilter(Order = 4)] public sealed class C : IEventFilter { {EventFilterBody} }
            """);

    [Fact]
    public Task ER0007_OnlyFiltersThatCanShareAChainConflict() =>
        // EventA/ModuleA never meet; ModuleB/ModuleC do; BothD meets EventE and ModuleF (each reported once).
        VerifyAsync("""
            [EventFilter(Order = 1)] public sealed class EventA : IEventFilter { {EventFilterBody} }
            [EventFilter(Order = 1)] public sealed class ModuleA : IModuleFilter { }
            [EventFilter(Order = 2)] public sealed class ModuleB : IModuleFilter { }
            [{|ER0007:EventFilter(Order = 2)|}] public sealed class ModuleC : IModuleFilter { }
            [EventFilter(Order = 3)] public sealed class BothD : IModuleFilter, IEventFilter { {EventFilterBody} }
            [{|ER0007:EventFilter(Order = 3)|}] public sealed class EventE : IEventFilter { {EventFilterBody} }
            [{|ER0007:EventFilter(Order = 3)|}] public sealed class ModuleF : IModuleFilter { }
            """);
}
