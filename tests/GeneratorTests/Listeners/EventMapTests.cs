using System.Collections;
using System.Linq;
using System.Reflection;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Tests.Modules;

namespace EventRouter.Generator.Tests.Listeners;

public sealed class EventMapTests
{
    private static (string Source, Microsoft.CodeAnalysis.Compilation Output) Generate(string source)
    {
        var (output, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(source), new EventRouterGenerator());
        Assert.Empty(result.Diagnostics);
        GeneratorHarness.AssertClean(output);
        return (GeneratorHarness.GeneratedSource(result, "EventRouter.EventMap.g.cs"), output);
    }

    [Fact]
    public void Polymorphic() => Snapshot.Match(Generate(Sources.Polymorphic).Source, "Listeners/Polymorphic.EventMap");

    [Fact]
    public void NamedEventsAndLifetimes() => Snapshot.Match(Generate(Sources.ManyListeners).Source, "Listeners/ManyListeners.EventMap");

    [Fact]
    public void Mermaid_HasAnEdgePerRouteEntry_DottedForBaseTypes()
    {
        var (_, output) = Generate(Sources.Polymorphic);
        var map = GeneratorHarness.Load(output).GetType("EventRouter.Generated.EventMap")!;
        var mermaid = Mermaid(map);

        var lines = mermaid.Split('\n');
        Assert.Equal("flowchart LR", lines[0]);
        // Shipped reaches DomainLog (IDomainEvent), ShipmentLog (Shipment) and Everything (object): all through base types.
        var routes = (IEnumerable)map.GetProperty("Routes", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var shipped = routes.Cast<object>().Single(r => (string)r.GetType().GetProperty("EventType")!.GetValue(r)! == "App.Shipped");
        var listeners = ((IEnumerable)shipped.GetType().GetProperty("Listeners")!.GetValue(shipped)!).Cast<object>()
            .Select(l => (string)l.GetType().GetProperty("ListenedType")!.GetValue(l)! + "@" + (string)l.GetType().GetProperty("ListenerType")!.GetValue(l)!)
            .ToArray();
        Assert.Equal(new[] { "App.IDomainEvent@App.DomainLog", "object@App.Everything", "App.Shipment@App.ShipmentLog" }, listeners);

        var edges = lines.Count(l => l.Contains("-->", System.StringComparison.Ordinal) || l.Contains("-.->", System.StringComparison.Ordinal));
        var entries = routes.Cast<object>().Sum(r => ((IEnumerable)r.GetType().GetProperty("Listeners")!.GetValue(r)!).Cast<object>().Count());
        Assert.Equal(entries, edges);
        Assert.Contains(lines, l => l.Contains("-.->|\"App.IDomainEvent\"|", System.StringComparison.Ordinal));
    }

    [Fact]
    public void Mermaid_EscapesGenericNames()
    {
        var (_, output) = Generate(Sources.Usings + """
            namespace App;
            public sealed record Envelope<T>(T Body);
            [EventListener] public sealed class Opener : IEventListener<Envelope<int>> { public ValueTask HandleAsync(Envelope<int> e, CancellationToken ct) => default; }
            """);
        var map = GeneratorHarness.Load(output).GetType("EventRouter.Generated.EventMap")!;
        Assert.Contains("E0[\"App.Envelope#lt;int#gt;\"]", Mermaid(map));
    }

    // The chart is written at run time from the routes: the same text the generator wrote as a constant before it.
    [Fact]
    public void Mermaid_AtRunTime_IsTheChartOfTheRoutes()
    {
        var map = GeneratorHarness.Load(Generate(Sources.Polymorphic).Output).GetType("EventRouter.Generated.EventMap")!;
        Assert.Equal(
            """
            flowchart LR
                E0["App.Delivered"]
                E1["App.Heartbeat"]
                E2["App.Shipped"]
                L0(["App.DomainLog"])
                L1(["App.Everything"])
                L2(["App.ShipmentLog"])
                E0 -.->|"App.IDomainEvent"| L0
                E0 -.->|"object"| L1
                E0 -.->|"App.Shipment"| L2
                E1 -.->|"App.IDomainEvent"| L0
                E1 -.->|"object"| L1
                E2 -.->|"App.IDomainEvent"| L0
                E2 -.->|"object"| L1
                E2 -.->|"App.Shipment"| L2

            """.ReplaceLineEndings("\n"),
            Mermaid(map));
    }

    [Fact]
    public void NamedEvent_AtRunTime_ChartShowsNameAndType_RoutesListEveryListenerOfTheEvent()
    {
        var map = GeneratorHarness.Load(Generate(Sources.ManyListeners).Output).GetType("EventRouter.Generated.EventMap")!;
        Assert.Equal(
            """
            flowchart LR
                E0["orders.placed<br/><small>App.OrderPlaced</small>"]
                L0(["App.A"])
                L1(["App.B"])
                L2(["App.C"])
                E0 --> L0
                E0 --> L1
                E0 --> L2

            """.ReplaceLineEndings("\n"),
            Mermaid(map));
        var route = Assert.Single(((IEnumerable)map.GetProperty("Routes", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!).Cast<object>());
        Assert.Equal(
            "Route { EventName = orders.placed, EventType = App.OrderPlaced, Listeners = EventRouter.Generated.EventMap+Listener[] }",
            route.ToString());
        var listeners = ((IEnumerable)route.GetType().GetProperty("Listeners")!.GetValue(route)!).Cast<object>().Select(l => l.ToString());
        Assert.Equal(
            new[]
            {
                "Listener { ListenerType = App.A, ListenedType = App.OrderPlaced, Lifetime = Singleton }",
                "Listener { ListenerType = App.B, ListenedType = App.OrderPlaced, Lifetime = Singleton }",
                "Listener { ListenerType = App.C, ListenedType = App.OrderPlaced, Lifetime = Singleton }",
            },
            listeners);
    }

    private static string Mermaid(System.Type map) => (string)map.GetProperty("Mermaid", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    [Fact]
    public void Modules_MatchSnapshot() =>
        Snapshot.Match(GenerateModuleMap(ModuleSources.Inventory).Source, "Modules/Inventory.EventMap.Modules");

    [Fact]
    public void Modules_AtRunTime_ListEveryModuleWithItsRequestsAndCommands_AndTheRoutesStayAlongside()
    {
        var (_, output) = GenerateModuleMap(ModuleSources.Filtered);
        var map = GeneratorHarness.Load(output).GetType("EventRouter.Generated.EventMap")!;

        var modules = ((IEnumerable)map.GetProperty("Modules", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!).Cast<object>().ToArray();
        var described = modules.Select(m =>
            (string)Prop(m, "ModuleType") + ": "
            + string.Join(", ", ((IEnumerable)Prop(m, "Requests")).Cast<object>().Select(r => $"{Prop(r, "RequestType")}->{Prop(r, "ResponseType")}"))
            + " | " + string.Join(", ", ((IEnumerable)Prop(m, "Commands")).Cast<string>()));
        Assert.Equal(
            new[]
            {
                "Shop.Orders: Shop.GetStatus->string?, Shop.Ping->bool, Shop.PlaceOrder->int | Shop.Cancel",
                "Shop.Plain: Shop.Hello->string | Shop.Ping",
            },
            described);
        var mermaid = (string)map.GetField("ModulesMermaid")!.GetRawConstantValue()!;
        Assert.Contains("M0R2[\"Shop.PlaceOrder\"] -->|\"int\"| M0", mermaid);
        Assert.Contains("M1C0[\"Shop.Ping\"] -.-> M1", mermaid);
        Assert.NotNull(map.GetProperty("Routes", BindingFlags.Public | BindingFlags.Static)); // the event generator's part, same class

        static object Prop(object o, string name) => o.GetType().GetProperty(name)!.GetValue(o)!;
    }

    [Fact]
    public void Modules_ProjectWithoutModules_HasAnEmptyList()
    {
        var (source, output) = GenerateModuleMap(Sources.Polymorphic);
        var map = GeneratorHarness.Load(output).GetType("EventRouter.Generated.EventMap")!;

        Assert.Empty((IEnumerable)map.GetProperty("Modules", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!);
        Assert.Contains("public const string ModulesMermaid = \"flowchart LR\\n\";", source);
    }

    private static (string Source, Microsoft.CodeAnalysis.Compilation Output) GenerateModuleMap(string source)
    {
        var (output, result, _) = GeneratorHarness.Run(ModuleServerGeneratorTests.Compile(source), new ModuleServerGenerator(), new EventRouterGenerator());
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        GeneratorHarness.AssertClean(output);
        return (GeneratorHarness.GeneratedSource(result, ModuleServerGenerator.ModuleMapEmitter.HintName), output);
    }
}
