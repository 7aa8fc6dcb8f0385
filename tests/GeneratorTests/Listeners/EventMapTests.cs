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
        var mermaid = (string)map.GetField("Mermaid")!.GetRawConstantValue()!;

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
        var (source, _) = Generate(Sources.Usings + """
            namespace App;
            public sealed record Envelope<T>(T Body);
            [EventListener] public sealed class Opener : IEventListener<Envelope<int>> { public ValueTask HandleAsync(Envelope<int> e, CancellationToken ct) => default; }
            """);
        Assert.Contains("E0[\"\"App.Envelope#lt;int#gt;\"\"]", source); // in the verbatim literal, a quote is written twice
    }

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
