using System.Collections;
using System.Linq;
using System.Reflection;
using EventRouter.Generator.Tests.Infrastructure;

namespace EventRouter.Generator.Tests;

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
    public void Polymorphic() => Snapshot.Match(Generate(Sources.Polymorphic).Source, "EventMap.Polymorphic");

    [Fact]
    public void NamedEventsAndLifetimes() => Snapshot.Match(Generate(Sources.ManyListeners).Source, "EventMap.ManyListeners");

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
        Assert.Contains("E0[\\\"App.Envelope#lt;int#gt;\\\"]", source);
    }
}
