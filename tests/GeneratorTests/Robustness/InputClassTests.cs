using System.Linq;
using System.Threading.Tasks;

namespace EventRouter.Generator.Tests.Robustness;

/// <summary>
/// One test per class of input that once broke the generators. Each input either generates code that compiles
/// without warnings (documentation file on) and dispatches, or gets an ER diagnostic and is left out.
/// </summary>
public sealed class InputClassTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using EventRouter;
        using EventRouter.Modules;

        """;

    /// <summary>What the listeners below write to, read by the probe.</summary>
    private const string Log = """
        namespace App
        {
            public static class Log { public static string Text = ""; public static void Add(string s) => Text += s + ";"; }
        }

        """;

    private static string Probe(string body) => """
        using System.Threading.Tasks;
        namespace Probe
        {
            public static class Entry
            {
                public static async Task<string> RunAsync()
                {
                    var d = new EventRouter.Generated.EventDispatcher();
        """ + body + """

                    return App.Log.Text;
                }
            }
        }
        """;

    [Fact]
    public async Task FileLocalTypes_AreReportedAndLeftOut_AndAFileLocalEventStillReachesItsBaseListener()
    {
        var outcome = RobustnessHarness.Run(Usings + Log + """
            namespace App
            {
                public abstract record Shipped(int Id);
                [EventListener] public sealed class ShippedListener : IEventListener<Shipped> { public ValueTask HandleAsync(Shipped e, CancellationToken ct) { Log.Add("shipped " + e.Id); return default; } }
                file sealed record SecretShipped(int Id) : Shipped(Id);
                public static class Factory { public static Shipped Secret(int id) => new SecretShipped(id); }

                [EventListener] file sealed class FileListener : IEventListener<Shipped> { public ValueTask HandleAsync(Shipped e, CancellationToken ct) => default; }
                [EventFilter] file sealed class FileFilter : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct); }
                public sealed record Ping;
                [ModuleServer] file sealed partial class FileModule : ICommandHandler<Ping> { public ValueTask HandleAsync(Ping c, CancellationToken ct) => default; }
            }
            """);

        outcome.AssertSound();
        Assert.Equal(new[] { "ER0003", "ER0006", "ER0102" }, outcome.AnalyzerIds.OrderBy(i => i));
        Assert.Contains("file-local", outcome.AnalyzerDiagnostics.Single(d => d.Id == "ER0102").GetMessage());
        Assert.Equal("shipped 7;", await RobustnessHarness.RunEntryAsync(outcome, Probe("await d.PublishAsync(App.Factory.Secret(7));")));
    }

    [Fact]
    public async Task KeywordIdentifiers_AreEscapedInGeneratedCodeAndHintNames()
    {
        var outcome = RobustnessHarness.Run(Usings + Log + """
            namespace @class.@namespace
            {
                public sealed record @event([property: EventId] string @class);
                [EventListener] public sealed class @static : IEventListener<@event> { public ValueTask HandleAsync(@event e, CancellationToken ct) { App.Log.Add("event " + e.@class); return default; } }
                public sealed record @params(int @int);
                public sealed record @record;
                [ModuleServer] public sealed partial class @file : ICommandHandler<@record> { public ValueTask HandleAsync(@record c, CancellationToken ct) => default; }
                [EventListener] public sealed class @async : IEventListener<@record> { public ValueTask HandleAsync(@record e, CancellationToken ct) => default; }
                [ModuleServer] public sealed partial class @void : IRequestHandler<@params, int>, ICommandHandler<@event>
                {
                    public ValueTask<int> HandleAsync(@params r, CancellationToken ct) => new(r.@int + 1);
                    public ValueTask HandleAsync(@event c, CancellationToken ct) => default;
                }
            }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
        Assert.Contains(outcome.Result.Results.SelectMany(r => r.GeneratedSources), s => s.HintName == "class.namespace.void.ModuleServer.g.cs");
        Assert.Equal("event 42;id 42;", await RobustnessHarness.RunEntryAsync(outcome, Probe("""
                    var e = new @class.@namespace.@event("42");
                    await d.PublishAsync(e);
                    App.Log.Add("id " + d.Routes[0].GetEventId(e));
            """)));
    }

    [Fact]
    public async Task EventsNestedInConstructedGenericTypes_AreDelivered()
    {
        var outcome = RobustnessHarness.Run(Usings + Log + """
            namespace App
            {
                public sealed class Outer<T> { public sealed record Inner(T Value); }
                [EventListener] public sealed class InnerListener : IEventListener<Outer<int>.Inner>, IEventListener<List<int>.Enumerator>
                {
                    public ValueTask HandleAsync(Outer<int>.Inner e, CancellationToken ct) { Log.Add("inner " + e.Value); return default; }
                    public ValueTask HandleAsync(List<int>.Enumerator e, CancellationToken ct) { Log.Add("enumerator"); return default; }
                }
            }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
        Assert.Equal("inner 1;inner 2;enumerator;enumerator;", await RobustnessHarness.RunEntryAsync(outcome, Probe("""
                    await d.PublishAsync(new App.Outer<int>.Inner(1));
                    await d.PublishAsync((object)new App.Outer<int>.Inner(2));
                    await d.PublishAsync(new System.Collections.Generic.List<int>().GetEnumerator());
                    await d.PublishAsync((object)new System.Collections.Generic.List<int>().GetEnumerator());
            """)));
    }

    [Fact]
    public void NullableValueTypeEvents_AreReported()
    {
        var outcome = RobustnessHarness.Run(Usings + """
            namespace App
            {
                [EventListener] public sealed class Maybe : IEventListener<int?>, IEventListener<string>
                {
                    public ValueTask HandleAsync(int? e, CancellationToken ct) => default;
                    public ValueTask HandleAsync(string e, CancellationToken ct) => default;
                }
            }
            """);

        outcome.AssertSound();
        var diagnostic = Assert.Single(outcome.AnalyzerDiagnostics);
        Assert.Equal("ER0008", diagnostic.Id);
        Assert.Contains("'int?'", diagnostic.GetMessage());
        Assert.DoesNotContain("int?", RobustnessHarness.Generated(outcome, "EventDispatcher.g.cs"));
    }

    [Fact]
    public async Task UnusualEventTypes_TuplesArraysEnumsDelegates_AreDelivered()
    {
        var outcome = RobustnessHarness.Run(Usings + Log + """
            namespace App
            {
                public enum Color { Red, Green }
                public delegate void Callback();
                [EventListener] public sealed class Named : IEventListener<(int A, string B)>, IEventListener<nint>
                {
                    public ValueTask HandleAsync((int A, string B) e, CancellationToken ct) { Log.Add("named " + e.A + e.B); return default; }
                    public ValueTask HandleAsync(nint e, CancellationToken ct) { Log.Add("nint " + e); return default; }
                }
                [EventListener] public sealed class Unnamed : IEventListener<(int, string)>, IEventListener<int[]>, IEventListener<Color>, IEventListener<Callback>, IEventListener<int[][,]>, IEventListener<IntPtr>
                {
                    public ValueTask HandleAsync(IntPtr e, CancellationToken ct) { Log.Add("intptr " + e); return default; }
                    public ValueTask HandleAsync((int, string) e, CancellationToken ct) { Log.Add("unnamed " + e.Item1); return default; }
                    public ValueTask HandleAsync(int[] e, CancellationToken ct) { Log.Add("array " + e.Length); return default; }
                    public ValueTask HandleAsync(Color e, CancellationToken ct) { Log.Add("color " + e); return default; }
                    public ValueTask HandleAsync(Callback e, CancellationToken ct) { Log.Add("callback"); return default; }
                    public ValueTask HandleAsync(int[][,] e, CancellationToken ct) { Log.Add("jagged " + e.Length); return default; }
                }
            }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
        Assert.Equal("named 1x;unnamed 1;named 2y;unnamed 2;array 3;array 4;color Green;callback;jagged 2;nint 5;intptr 5;nint 6;intptr 6;", await RobustnessHarness.RunEntryAsync(outcome, Probe("""
                    await d.PublishAsync((1, "x"));
                    await d.PublishAsync((object)(2, "y"));
                    await d.PublishAsync(new int[3]);
                    await d.PublishAsync((object)new int[4]);
                    await d.PublishAsync((object)App.Color.Green);
                    await d.PublishAsync(new App.Callback(() => { }));
                    await d.PublishAsync((object)new int[2][,]);
                    await d.PublishAsync((nint)5);
                    await d.PublishAsync((object)(System.IntPtr)6);
            """)));
    }

    [Fact]
    public async Task EventIdHiddenByNewMemberOrWithoutReadableGetter_ReadsTheMarkedMemberOrIsReported()
    {
        var outcome = RobustnessHarness.Run(Usings + Log + """
            namespace App
            {
                public class Base { [EventId] public string Id { get; init; } = ""; }
                public sealed class Hiding : Base { public new int Id { get; init; } }
                public sealed class WriteOnly { [EventId] public string Id { private get; set; } = ""; public string Read => Id; }
                [EventListener] public sealed class L : IEventListener<Hiding>, IEventListener<WriteOnly>
                {
                    public ValueTask HandleAsync(Hiding e, CancellationToken ct) => default;
                    public ValueTask HandleAsync(WriteOnly e, CancellationToken ct) => default;
                }
            }
            """);

        outcome.AssertSound();
        var diagnostic = Assert.Single(outcome.AnalyzerDiagnostics);
        Assert.Equal("ER0009", diagnostic.Id);
        Assert.Contains("WriteOnly.Id", diagnostic.GetMessage());
        Assert.Equal("base-id;;", await RobustnessHarness.RunEntryAsync(outcome, Probe("""
                    var hiding = new App.Hiding { Id = 5 };
                    ((App.Base)hiding).GetType().GetProperty("Id", typeof(string))!.SetValue(hiding, "base-id");
                    foreach (var route in d.Routes) App.Log.Add(route.EventType == typeof(App.Hiding) ? route.GetEventId(hiding) ?? "null" : route.GetEventId(new App.WriteOnly()) ?? "");
            """)));
    }

    [Fact]
    public void UserTypeNamedLikeTheGeneratedClient_IsReportedAndTheModuleLeftOut()
    {
        var outcome = RobustnessHarness.Run(Usings + """
            namespace App
            {
                public sealed record Ping;
                [ModuleServer] public sealed partial class Orders : ICommandHandler<Ping> { public ValueTask HandleAsync(Ping c, CancellationToken ct) => default; }
                public sealed class OrdersClient { }
            }
            """);

        outcome.AssertSound();
        var diagnostic = Assert.Single(outcome.AnalyzerDiagnostics);
        Assert.Equal("ER0105", diagnostic.Id);
        Assert.Contains("'App.OrdersClient'", diagnostic.GetMessage());
    }

    [Fact]
    public void DocumentationBuild_HasNoWarningForGenericTupleNullableOrArrayTypes()
    {
        var outcome = RobustnessHarness.Run(Usings + """
            namespace App
            {
                public sealed class Outer<T> { public sealed record Inner(T Value); }
                [EventListener] public sealed class L : IEventListener<List<int>>, IEventListener<(int, string)>, IEventListener<int[]>, IEventListener<Outer<string>.Inner>, IEventListener<Dictionary<string, int?>>
                {
                    public ValueTask HandleAsync(List<int> e, CancellationToken ct) => default;
                    public ValueTask HandleAsync((int, string) e, CancellationToken ct) => default;
                    public ValueTask HandleAsync(int[] e, CancellationToken ct) => default;
                    public ValueTask HandleAsync(Outer<string>.Inner e, CancellationToken ct) => default;
                    public ValueTask HandleAsync(Dictionary<string, int?> e, CancellationToken ct) => default;
                }
                [EventFilter] public sealed class F : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct); }
                /// <summary>A module.</summary>
                [ModuleServer] public sealed partial class M : IRequestHandler<List<int>, int?>, IRequestHandler<(int, string), int[]>, IRequestHandler<int?, string>, ICommandHandler<Outer<int>.Inner>, ICommandHandler<int[]>
                {
                    /// <summary>A handler.</summary>
                    public ValueTask<int?> HandleAsync(List<int> r, CancellationToken ct) => default;
                    /// <summary>A handler.</summary>
                    public ValueTask<int[]> HandleAsync((int, string) r, CancellationToken ct) => default;
                    /// <summary>A handler.</summary>
                    public ValueTask<string> HandleAsync(int? r, CancellationToken ct) => default;
                    /// <summary>A handler.</summary>
                    public ValueTask HandleAsync(Outer<int>.Inner c, CancellationToken ct) => default;
                    /// <summary>A handler.</summary>
                    public ValueTask HandleAsync(int[] c, CancellationToken ct) => default;
                }
            }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
    }

    [Fact]
    public async Task NestedNullability_IsKeptInCallsOfTheListener()
    {
        var outcome = RobustnessHarness.Run(Usings + Log + """
            namespace App
            {
                [EventListener] public sealed class Direct : IEventListener<List<(int, string?)>>
                {
                    public ValueTask HandleAsync(List<(int, string?)> e, CancellationToken ct) { Log.Add("direct " + e.Count); return default; }
                }
                [EventListener] public sealed class Explicit : IEventListener<List<(int, string?)>>, IEventListener<IEnumerable<string?>>
                {
                    ValueTask IEventListener<List<(int, string?)>>.HandleAsync(List<(int, string?)> e, CancellationToken ct) { Log.Add("explicit " + e.Count); return default; }
                    ValueTask IEventListener<IEnumerable<string?>>.HandleAsync(IEnumerable<string?> e, CancellationToken ct) { Log.Add("enumerable"); return default; }
                }
                [EventFilter] public sealed class F : IEventFilter { public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) => next.InvokeAsync(e, ct); }
                [EventListener(Lifetime = ListenerLifetime.Scoped)] public sealed class Scoped : IEventListener<List<string?>>
                {
                    public ValueTask HandleAsync(List<string?> e, CancellationToken ct) { Log.Add("scoped " + e.Count); return default; }
                }
            }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
        Assert.Equal("direct 1;explicit 1;enumerable;scoped 2;", await RobustnessHarness.RunEntryAsync(outcome, Probe("""
                    await d.PublishAsync(new System.Collections.Generic.List<(int, string?)> { (1, null) });
                    await d.PublishAsync((object)new System.Collections.Generic.List<string?> { null, "a" });
            """)));
    }

    [Fact]
    public async Task RecordListenersAndFilters_AreUsed()
    {
        var outcome = RobustnessHarness.Run(Usings + Log + """
            namespace App
            {
                public sealed record Placed(int Id);
                [EventListener] public sealed record RecordListener : IEventListener<Placed> { public ValueTask HandleAsync(Placed e, CancellationToken ct) { Log.Add("record " + e.Id); return default; } }
                [EventFilter] public sealed record RecordFilter : IEventFilter
                {
                    public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) { Log.Add("filter"); return next.InvokeAsync(e, ct); }
                }
            }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
        Assert.Equal("filter;record 3;", await RobustnessHarness.RunEntryAsync(outcome, Probe("await d.PublishAsync(new App.Placed(3));")));
    }

    [Fact]
    public void ObsoleteTypes_GiveNoWarningInGeneratedCode()
    {
        var outcome = RobustnessHarness.Run(Usings + """
            #pragma warning disable CS0612, CS0618
            namespace App
            {
                [Obsolete] public sealed record Old([property: EventId] string Id);
                [Obsolete("use New")] public sealed record OldRequest;
                [EventListener] public sealed class L : IEventListener<Old> { public ValueTask HandleAsync(Old e, CancellationToken ct) => default; }
                [ModuleServer] public sealed partial class M : IRequestHandler<OldRequest, int> { public ValueTask<int> HandleAsync(OldRequest r, CancellationToken ct) => default; }
            }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
    }

    [Fact]
    public void ModulesWhoseNamesDifferOnlyInCase_EachGetAClient()
    {
        var outcome = RobustnessHarness.Run(Usings + """
            namespace App { public sealed record P; [ModuleServer] public sealed partial class Orders : ICommandHandler<P> { public ValueTask HandleAsync(P c, CancellationToken ct) => default; } }
            namespace app { public sealed record P; [ModuleServer] public sealed partial class Orders : ICommandHandler<P> { public ValueTask HandleAsync(P c, CancellationToken ct) => default; } }
            namespace App { public sealed record Q; [ModuleServer] public sealed partial class orders : ICommandHandler<Q> { public ValueTask HandleAsync(Q c, CancellationToken ct) => default; } }
            """);

        outcome.AssertSound();
        Assert.Empty(outcome.AnalyzerDiagnostics);
        Assert.Equal(
            new[] { "App.Orders.ModuleServer.g.cs", "App.orders.2.ModuleServer.g.cs", "app.Orders.3.ModuleServer.g.cs" },
            outcome.Result.Results.SelectMany(r => r.GeneratedSources).Select(s => s.HintName).Where(h => h.EndsWith(".ModuleServer.g.cs", System.StringComparison.Ordinal)).OrderBy(h => h, System.StringComparer.Ordinal));
    }

    [Fact]
    public void InheritedListenerOfAnotherAssemblysInternalType_IsReported()
    {
        var library = RobustnessHarness.Compile(Usings + """
            namespace Lib
            {
                internal sealed record Hidden;
                public sealed record Shown;
                public abstract class ListenerBase : IEventListener<Hidden>, IEventListener<Shown>
                {
                    ValueTask IEventListener<Hidden>.HandleAsync(Hidden e, CancellationToken ct) => default;
                    public ValueTask HandleAsync(Shown e, CancellationToken ct) => default;
                }
            }
            """).WithAssemblyName("Lib");
        var reference = EventRouter.Generator.Tests.Infrastructure.GeneratorHarness.ToReference(library);
        var app = RobustnessHarness.Compile(Usings + """
            namespace App
            {
                [EventListener] public sealed class Derived : Lib.ListenerBase { }
            }
            """).AddReferences(reference);

        var outcome = RobustnessHarness.Run(app);

        outcome.AssertSound();
        var diagnostic = Assert.Single(outcome.AnalyzerDiagnostics);
        Assert.Equal("ER0005", diagnostic.Id);
        Assert.Contains("Lib.Hidden", diagnostic.GetMessage());
        Assert.Contains("Lib.Shown", RobustnessHarness.Generated(outcome, "EventDispatcher.g.cs"));
    }
}
