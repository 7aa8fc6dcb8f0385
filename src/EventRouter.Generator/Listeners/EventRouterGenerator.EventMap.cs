using System.Linq;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Listeners;

public sealed partial class EventRouterGenerator
{
    /// <summary>
    /// Emits <c>EventRouter.Generated.EventMap</c>: the routes of the dispatch table as data and as a Mermaid flowchart,
    /// so an application can show or document its event flow at run time. A pure function of the table model.
    /// </summary>
    /// <remarks>
    /// Extension point for module servers: <c>EventMap</c> is a <c>static partial</c> class, so the module generator
    /// adds its own members (for example <c>Modules</c> with each module's requests and commands, and a
    /// <c>ModulesMermaid</c> subgraph) in a file of its own, without touching this emitter.
    /// </remarks>
    internal static class EventMapEmitter
    {
        public const string HintName = "EventRouter.EventMap.g.cs";

        private const string ReadOnlyList = "global::System.Collections.Generic.IReadOnlyList";

        public static string Emit(TableModel table)
        {
            var w = new SourceWriter();
            w.Line("/// <summary>The routes of this project's dispatch table (events to listeners, including listeners of base types), as data and as Mermaid text.</summary>");
            w.Line(GeneratedCode.Attribute);
            w.NonUserCodeAttributes();
            w.Open("internal static partial class EventMap");

            // Each route once, as data the two members below are built from: the listeners are indexes into the dispatcher's
            // table of every listener (their names and lifetimes), so neither the chart nor the records are written out.
            w.Line("/// <summary>");
            w.Line("/// Every route: the event's name, its type's name when that differs, its listeners as indexes into the dispatcher's");
            w.Line("/// listener table, and for a listener of a base class or interface the type it listens to.");
            w.Line("/// </summary>");
            w.Line("private static readonly Row[] s_rows =");
            w.Line("{").Indent();
            foreach (var route in table.Routes)
            {
                var e = route.Event;
                var type = e.EventName == e.DisplayName ? "null" : Literal(e.DisplayName);
                var indexes = Emitter.ListenerIndexes(route.Entries);
                if (route.Entries.All(x => x.Handled.Event.FullName == e.FullName))
                {
                    w.Line($"new({Literal(e.EventName)}, {type}{(indexes.Length > 0 ? ", " + indexes : "")}),");
                    continue;
                }
                var listened = string.Join(", ", route.Entries.Select(x => x.Handled.Event.FullName == e.FullName ? "null" : Literal(x.Handled.Event.DisplayName)));
                w.Line($"new({Literal(e.EventName)}, {type}, new[] {{ {indexes} }}, new[] {{ {listened} }}),");
            }
            w.Unindent().Line("};");
            w.Line();

            w.Line("/// <summary>The routes as a Mermaid flowchart: events on the left, listeners on the right; a dotted edge is a listener of a base class or interface, labelled with that type. Written on first use.</summary>");
            w.Line("public static string Mermaid => s_mermaid ??= WriteMermaid();");
            w.Line();
            w.Line("/// <summary>Every concrete event type known at compile time and the listeners it reaches, in dispatch order; ordered by type name.</summary>");
            w.Line($"public static {ReadOnlyList}<Route> Routes {{ get; }} = CreateRoutes();");
            w.Line();
            w.Line("private static string? s_mermaid;");
            w.Line();
            foreach (var line in Helpers)
            {
                w.Line(line);
            }
            w.Line();

            w.Line("/// <summary>One event type and its listeners.</summary>");
            w.Line("/// <param name=\"EventName\">The [Event] name, or the full type name.</param>");
            w.Line("/// <param name=\"EventType\">The full type name.</param>");
            w.Line("/// <param name=\"Listeners\">The listeners the event reaches, in dispatch order.</param>");
            w.NonUserCodeAttributes();
            w.Line($"internal sealed record Route(string EventName, string EventType, {ReadOnlyList}<Listener> Listeners);");
            w.Line();
            w.Line("/// <summary>One listener of a route.</summary>");
            w.Line("/// <param name=\"ListenerType\">The listener's full type name.</param>");
            w.Line("/// <param name=\"ListenedType\">The <c>T</c> of the <c>IEventListener&lt;T&gt;</c> the event reaches it through: the event type, or a base class or interface of it.</param>");
            w.Line("/// <param name=\"Lifetime\">How the listener instance is created and shared.</param>");
            w.NonUserCodeAttributes();
            w.Line("internal sealed record Listener(string ListenerType, string ListenedType, ListenerLifetime Lifetime);");
            w.Line();
            w.Line("/// <summary>One route as <see cref=\"s_rows\"/> holds it.</summary>");
            w.NonUserCodeAttributes();
            w.Open("private sealed class Row");
            w.Line("public Row(string eventName, string? eventType, params int[] listeners) : this(eventName, eventType, listeners, null) { }");
            w.Line();
            w.Open("public Row(string eventName, string? eventType, int[] listeners, string?[]? listened)");
            w.Line("EventName = eventName;");
            w.Line("EventType = eventType ?? eventName;");
            w.Line("Listeners = listeners;");
            w.Line("Listened = listened;");
            w.Close();
            w.Line();
            w.Line("public string EventName { get; }");
            w.Line("public string EventType { get; }");
            w.Line("public int[] Listeners { get; }");
            w.Line("/// <summary>Per listener: null when it listens to the event type itself, else the base class or interface.</summary>");
            w.Line("public string?[]? Listened { get; }");
            w.Close();

            w.Close();
            return Emitter.FileWithAliases(table.Namespace, Names.NewAliases(), w.ToString());
        }

        /// <summary>
        /// The map's members that build <c>Routes</c> and <c>Mermaid</c> from the rows: the same text in every project.
        /// The chart's node ids are positional (E0… per route, L0… per listener), labels escaped as
        /// <see cref="Literals.MermaidLabel"/> escapes them.
        /// </summary>
        private static readonly string[] Helpers =
        {
            "private static Route[] CreateRoutes()",
            "{",
            $"    var listeners = {Emitter.ListenersClass}.{Emitter.ListenerTable};",
            "    var routes = new Route[s_rows.Length];",
            "    for (var r = 0; r < routes.Length; r++)",
            "    {",
            "        var row = s_rows[r];",
            "        var entries = new Listener[row.Listeners.Length];",
            "        for (var k = 0; k < entries.Length; k++)",
            "        {",
            "            var listener = listeners[row.Listeners[k]];",
            "            entries[k] = new(listener.Name, row.Listened?[k] ?? row.EventType, listener.Lifetime);",
            "        }",
            "        routes[r] = new(row.EventName, row.EventType, entries);",
            "    }",
            "    return routes;",
            "}",
            "",
            "private static string WriteMermaid()",
            "{",
            "    var text = new global::System.Text.StringBuilder(\"flowchart LR\\n\");",
            "    for (var r = 0; r < s_rows.Length; r++)",
            "    {",
            "        var row = s_rows[r];",
            "        text.Append(\"    E\").Append(r).Append(\"[\\\"\").Append(Label(row.EventName));",
            "        if (row.EventType != row.EventName) text.Append(\"<br/><small>\").Append(Label(row.EventType)).Append(\"</small>\");",
            "        text.Append(\"\\\"]\\n\");",
            "    }",
            $"    var listeners = {Emitter.ListenersClass}.{Emitter.ListenerTable};",
            "    for (var i = 0; i < listeners.Length; i++)",
            "    {",
            "        text.Append(\"    L\").Append(i).Append(\"([\\\"\").Append(Label(listeners[i].Name)).Append(\"\\\"])\\n\");",
            "    }",
            "    for (var r = 0; r < s_rows.Length; r++)",
            "    {",
            "        var row = s_rows[r];",
            "        for (var k = 0; k < row.Listeners.Length; k++)",
            "        {",
            "            text.Append(\"    E\").Append(r);",
            "            if (row.Listened?[k] is { } listened) text.Append(\" -.->|\\\"\").Append(Label(listened)).Append(\"\\\"| \");",
            "            else text.Append(\" --> \");",
            "            text.Append('L').Append(row.Listeners[k]).Append('\\n');",
            "        }",
            "    }",
            "    return text.ToString();",
            "}",
            "",
            "private static string Label(string value) =>",
            "    value.Replace(\"\\\"\", \"#quot;\").Replace(\"<\", \"#lt;\").Replace(\">\", \"#gt;\").Replace(\"|\", \"#124;\");",
        };

        private static string Literal(string value) => Literals.CSharp(value);
    }
}
