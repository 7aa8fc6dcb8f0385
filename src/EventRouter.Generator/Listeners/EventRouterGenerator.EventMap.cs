using System.Text;
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

            w.Line("/// <summary>The routes as a Mermaid flowchart: events on the left, listeners on the right; a dotted edge is a listener of a base class or interface, labelled with that type.</summary>");
            // One verbatim literal, a line of it per line of the chart: no quotes, escapes or concatenation per line.
            // Line ends the first line; the rest goes as it is, so no indentation gets into the text.
            const string First = "flowchart LR";
            w.Line("public const string Mermaid = @\"" + First);
            w.Raw(Mermaid(table).Substring(First.Length + 1).Replace("\"", "\"\"") + "\";\n");
            w.Line();

            w.Line("/// <summary>Every concrete event type known at compile time and the listeners it reaches, in dispatch order; ordered by type name.</summary>");
            w.Open($"public static {ReadOnlyList}<Route> Routes {{ get; }} = new Route[]");
            foreach (var route in table.Routes)
            {
                var e = route.Event;
                if (route.Entries.Count == 0)
                {
                    w.Line($"new({Literal(e.EventName)}, {Literal(e.DisplayName)}, global::System.Array.Empty<Listener>()),");
                    continue;
                }
                w.Line($"new({Literal(e.EventName)}, {Literal(e.DisplayName)}, new Listener[]");
                w.Line("{").Indent();
                foreach (var entry in route.Entries)
                {
                    var l = table.Listeners[entry.ListenerIndex];
                    w.Line($"new({Literal(l.DisplayName)}, {Literal(entry.Handled.Event.DisplayName)}, ListenerLifetime.{l.Lifetime}),");
                }
                w.Unindent().Line("}),");
            }
            w.Close(";");
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

            w.Close();
            return Emitter.FileWithAliases(table.Namespace, Names.NewAliases(), w.ToString());
        }

        /// <summary>The flowchart; node ids are positional (E0…, L0…), labels are escaped for Mermaid.</summary>
        public static string Mermaid(TableModel table)
        {
            var text = new StringBuilder("flowchart LR\n"); // Emit writes the first line on its own
            for (var r = 0; r < table.Routes.Count; r++)
            {
                var e = table.Routes[r].Event;
                var label = e.EventName == e.DisplayName ? Escape(e.DisplayName) : Escape(e.EventName) + "<br/><small>" + Escape(e.DisplayName) + "</small>";
                text.Append("    E").Append(r).Append("[\"").Append(label).Append("\"]\n");
            }
            for (var i = 0; i < table.Listeners.Count; i++)
            {
                text.Append("    L").Append(i).Append("([\"").Append(Escape(table.Listeners[i].DisplayName)).Append("\"])\n");
            }
            for (var r = 0; r < table.Routes.Count; r++)
            {
                var route = table.Routes[r];
                foreach (var entry in route.Entries)
                {
                    text.Append("    E").Append(r);
                    if (entry.Handled.Event.FullName == route.Event.FullName)
                    {
                        text.Append(" --> ");
                    }
                    else
                    {
                        text.Append(" -.->|\"").Append(Escape(entry.Handled.Event.DisplayName)).Append("\"| ");
                    }
                    text.Append('L').Append(entry.ListenerIndex).Append('\n');
                }
            }
            return text.ToString();
        }

        private static string Escape(string value) => Literals.MermaidLabel(value);

        private static string Literal(string value) => Literals.CSharp(value);
    }
}
