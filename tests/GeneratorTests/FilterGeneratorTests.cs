using System.Linq;
using System.Threading.Tasks;
using EventRouter.CompilerServices;
using EventRouter.Generator.Diagnostics;
using EventRouter.Generator.Tests.Infrastructure;

namespace EventRouter.Generator.Tests;

public sealed class FilterGeneratorTests
{
    [Fact]
    public void Filtered_ComposesFiltersPerListenerInOrder()
    {
        var (output, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(FilterSources.Filtered), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        var generated = GeneratorHarness.GeneratedSource(result, "EventRouter.EventDispatcher.g.cs");

        // Paid: Logging then Audit, then the listener; Pinged: Logging only. Each filter is called on its class.
        Assert.Contains("=> _dispatcher.Filter0.InvokeAsync<global::App.Paid>(@event, Next(1, services), cancellationToken);", generated);
        Assert.Contains("=> _dispatcher.Filter1.InvokeAsync<global::App.Paid>(@event, Next(2, services), cancellationToken);", generated);
        Assert.Contains("=> _dispatcher.Filter0.InvokeAsync<global::App.Pinged>(@event, Next(1, services), cancellationToken);", generated);
        Assert.DoesNotContain("Filter1.InvokeAsync<global::App.Pinged>", generated);
        Snapshot.Match(generated, "Filtered");
    }

    [Fact]
    public async Task Filters_ImplicitCalledOnTheirClass_ExplicitThroughTheInterface_BothWrapTheListener()
    {
        var source = Sources.Usings + """
            namespace App;
            public sealed record Paid(int N);
            [EventListener] public sealed class Ledger : IEventListener<Paid> { public static int Seen; public ValueTask HandleAsync(Paid e, CancellationToken ct) { Seen += e.N; return default; } }
            [EventFilter(Order = 1)] public sealed class Explicit : IEventFilter
            {
                public static int Calls;
                ValueTask IEventFilter.InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) { Calls += 1; return next.InvokeAsync(e, ct); }
            }
            [EventFilter(Order = 2)] public sealed class Implicit : IEventFilter
            {
                public static int Calls;
                public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) { Calls += 10; return next.InvokeAsync(e, ct); }
            }
            public static class Entry
            {
                public static async Task<int> RunAsync()
                {
                    await new EventRouter.Generated.EventDispatcher().PublishAsync(new Paid(100));
                    return Ledger.Seen + Explicit.Calls + Implicit.Calls;
                }
            }
            """;
        var (output, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(source), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        var generated = GeneratorHarness.GeneratedSource(result, "EventRouter.EventDispatcher.g.cs");
        Assert.Contains("=> ((global::EventRouter.IEventFilter)_dispatcher.Filter0).InvokeAsync<global::App.Paid>(", generated);
        Assert.Contains("=> _dispatcher.Filter1.InvokeAsync<global::App.Paid>(", generated);

        var total = await (Task<int>)GeneratorHarness.Load(output).GetType("App.Entry")!.GetMethod("RunAsync")!.Invoke(null, null)!;

        Assert.Equal(111, total);
    }

    [Fact]
    public void NoFilters_GeneratedCodeIsUnchanged()
    {
        // The snapshot of OneListener predates filters; this checks the file mentions no filter machinery.
        var (_, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(Sources.OneListener), new EventRouterGenerator());
        var generated = GeneratorHarness.GeneratedSource(result, "EventRouter.EventDispatcher.g.cs");

        Assert.DoesNotContain("FilterChain", generated);
        Assert.DoesNotContain("_filter", generated);
    }

    [Fact]
    public void ER0006_InvalidFilterShape()
    {
        var found = Analyze("""
            [EventFilter] public sealed class NotAFilter { }
            [EventFilter] public abstract class AbstractFilter : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            [EventFilter(Order = 5)] public sealed class Good : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            """);

        Assert.Equal(new[] { ("ER0006", 0), ("ER0006", 1) }, found);
    }

    [Fact]
    public void ER0007_FilterOrderConflict()
    {
        var found = Analyze("""
            [EventFilter(Order = 3)] public sealed class A : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            [EventFilter(Order = 3)] public sealed class B : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            [EventFilter(Order = 4)] public sealed class C : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => default; }
            """);

        Assert.Equal(new[] { ("ER0007", 1) }, found);
    }

    private static (string Id, int Line)[] Analyze(string body)
    {
        var compilation = GeneratorHarness.Compile(Sources.Usings + "namespace App;\n" + body);
        return GeneratorHarness.Analyze(compilation, new FilterAnalyzer())
            .Select(d => (d.Id, d.Location.GetLineSpan().StartLinePosition.Line - 5))
            .ToArray();
    }
}
