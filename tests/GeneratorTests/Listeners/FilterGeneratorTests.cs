using System.Threading.Tasks;
using EventRouter.Generator.Listeners;

namespace EventRouter.Generator.Tests.Listeners;

public sealed class FilterGeneratorTests
{
    [Fact]
    public async Task Filtered_ComposesFiltersPerListenerInOrder()
    {
        var (output, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(FilterSources.Filtered), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        Snapshot.Match(GeneratorHarness.GeneratedSource(result, "EventRouter.EventDispatcher.g.cs"), "Listeners/Filtered.EventDispatcher");

        var trace = await ((Task<string>)GeneratorHarness.Load(output).GetType("App.Trace")!.GetMethod("RunAsync")!.Invoke(null, null)!)
            .WaitAsync(System.TimeSpan.FromSeconds(30));

        // Paid: Logging (every event) outside Audit (IAudited only), then the listener; Pinged: Logging only.
        Assert.Equal("Logging Audit Ledger | Logging Pong", trace);
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
        var (output, _, _) = GeneratorHarness.Run(GeneratorHarness.Compile(source), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);

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
}
