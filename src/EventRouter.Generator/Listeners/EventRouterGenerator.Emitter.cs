using System.Collections.Generic;
using System.Linq;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EventRouter.Generator.Listeners;

public sealed partial class EventRouterGenerator
{
    /// <summary>Turns the table model into source text. No symbols here: everything it needs is in the model.</summary>
    internal static class Emitter
    {
        /// <summary>Above this many events, type lookups use a frozen dictionary instead of a chain of comparisons.</summary>
        internal const int ChainLimit = 16;

        /// <summary>The dispatcher's generated base class (see <see cref="EmitListenersClass"/>).</summary>
        internal const string ListenersClass = "EventDispatcherListeners";

        /// <summary>The base class's table of every listener (<c>ListenerInfo[]</c>).</summary>
        internal const string ListenerTable = "ListenerTable";

        /// <summary>The base class's method that picks a route's listeners out of its table.</summary>
        private const string ListenersMethod = "Listeners";

        private const string Services = "global::System.IServiceProvider";
        private const string MethodImpl = "global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions";

        public static void Emit(SourceProductionContext context, TableModel table)
        {
            context.AddSource("EventRouter.EventDispatcher.g.cs", SourceText.From(EmitDispatcher(table), System.Text.Encoding.UTF8));
            context.AddSource(EventMapEmitter.HintName, SourceText.From(EventMapEmitter.Emit(table), System.Text.Encoding.UTF8));
            if (table.EmitDependencyInjection)
            {
                context.AddSource("EventRouter.DependencyInjection.g.cs", SourceText.From(EmitDependencyInjection(table), System.Text.Encoding.UTF8));
            }
            if (table.ExportedListeners.Count > 0 || table.ExportedEvents.Count > 0)
            {
                context.AddSource("EventRouter.AssemblyInfo.g.cs", SourceText.From(EmitAssemblyInfo(table), System.Text.Encoding.UTF8));
            }
        }

        public static string EmitDispatcher(TableModel table)
        {
            var names = new Names(table);
            var w = new SourceWriter();
            var t = names.Type;
            w.Line("/// <summary>The dispatch table generated from the [EventListener] classes this project can see: direct calls, no reflection.</summary>");
            w.Line(GeneratedCode.Attribute);
            // IEventPublisher is re-implemented so that interface calls of PublishAsync<TEvent> map to this class's own
            // generic entry (one generic virtual call) rather than to the base class's (two).
            // IEventPublisher<T> per event type: its one method is the typed PublishAsync below, so a publish through the
            // injected typed interface is one interface call, with no generic virtual call or type test.
            w.NonUserCodeAttributes();
            w.Line($"internal sealed partial class EventDispatcher : {ListenersClass}, IEventPublisher" + (table.Routes.Count > 0 ? "," : ""));
            w.Indent();
            for (var r = 0; r < table.Routes.Count; r++)
            {
                w.Line($"IEventPublisher<{t(table.Routes[r].Event.FullName)}>" + (r < table.Routes.Count - 1 ? "," : ""));
            }
            w.Unindent();
            w.Line("{");
            w.Indent();

            w.Line("private readonly EventRoute[] _routes;");
            for (var r = 0; r < table.Routes.Count; r++)
            {
                w.Line($"private readonly Route<{t(table.Routes[r].Event.FullName)}> {names.RouteField(r)};");
            }
            foreach (var (r, k, _) in FilteredEntries(table))
            {
                w.Line($"private readonly {names.ChainClass(r, k)} {names.ChainField(r, k)};");
            }
            var useDictionary = table.Routes.Count > ChainLimit;
            if (useDictionary)
            {
                w.Line($"private readonly global::System.Collections.Frozen.FrozenDictionary<Type, EventRoute> _routesByType;");
            }
            w.Line();

            w.Line("/// <summary>Creates a dispatcher that creates listeners without dependency injection.</summary>");
            w.Line("public EventDispatcher() : this(null, null) { }");
            w.Line();
            w.Line("/// <summary>Creates a dispatcher that creates listeners without dependency injection.</summary>");
            w.Line("public EventDispatcher(global::EventRouter.EventRouterOptions options) : this(null, options) { }");
            w.Line();
            w.Line("/// <summary>Creates a dispatcher that resolves listeners from <paramref name=\"services\"/> when given.</summary>");
            w.Open($"public EventDispatcher(IServiceProvider? services, global::EventRouter.EventRouterOptions? options = null) : base(services, options)");
            for (var r = 0; r < table.Routes.Count; r++)
            {
                EmitRouteConstruction(w, names, r);
            }
            w.Line($"_routes = new EventRoute[] {{ {string.Join(", ", Enumerable.Range(0, table.Routes.Count).Select(names.RouteField))} }};");
            if (useDictionary)
            {
                w.Line("_routesByType = global::System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(_routes, static r => r.EventType);");
            }
            foreach (var (r, k, _) in FilteredEntries(table))
            {
                w.Line($"{names.ChainField(r, k)} = new {names.ChainClass(r, k)}(this);");
            }
            w.Close();
            w.Line();

            w.Line("/// <inheritdoc />");
            w.Line("public override global::System.Collections.Generic.IReadOnlyList<EventRoute> Routes => _routes;");
            w.Line();

            for (var r = 0; r < table.Routes.Count; r++)
            {
                EmitTypedPublish(w, names, r);
                if (HasFilters(table.Routes[r]))
                {
                    // Its filter chains are nested classes of the dispatcher: the invoke method stays beside them.
                    EmitInvoke(w, names, r, "private");
                }
            }
            EmitGenericPublish(w, names, useDictionary);
            EmitObjectPublish(w, names, useDictionary);
            EmitFindExactRoute(w, names, useDictionary);
            EmitFallback(w, names);
            foreach (var (r, k, entry) in FilteredEntries(table))
            {
                EmitFilterChainClass(w, names, r, k, entry);
            }

            w.Close();
            w.Line();
            EmitListenersClass(w, names);
            return FileWithAliases(table.Namespace, names.Aliases, w.ToString(), "using global::EventRouter.CompilerServices;");
        }

        /// <summary>
        /// The dispatcher's base class: the listener instances, their accessors and the routes' invoke-by-index methods.
        /// </summary>
        /// <remarks>
        /// On a class of their own because the class that implements <c>IEventPublisher&lt;T&gt;</c> of every event type
        /// is expensive to analyse per member: the SDK's preview-feature analyzer (CA2252, which also runs over generated
        /// code) compares each method and property of a type with every member of every interface the type implements.
        /// Here, with a few interfaces, a listener accessor costs it nothing; the dispatcher keeps only the typed publish
        /// methods (the interface implementations) and the entries.
        /// </remarks>
        private static void EmitListenersClass(SourceWriter w, Names names)
        {
            var table = names.Table;
            var t = names.Type;
            w.Line("/// <summary>The listeners of <see cref=\"EventDispatcher\"/> and the invoke-by-index methods of its routes.</summary>");
            w.Line(GeneratedCode.Attribute);
            w.NonUserCodeAttributes();
            w.Open($"internal abstract class {ListenersClass} : EventDispatcherBase");
            for (var i = 0; i < table.Listeners.Count; i++)
            {
                var l = table.Listeners[i];
                if (l.Lifetime == ListenerLifetime.Singleton)
                {
                    w.Line($"private {t(l.FullName)}? {names.ListenerField(i)};");
                }
            }
            for (var f = 0; f < table.Filters.Count; f++)
            {
                w.Line($"private {t(table.Filters[f].FullName)}? {names.FilterField(f)};");
            }
            w.Line();
            w.Line("/// <summary>Every listener once: a route lists its own by index, and so does the event map.</summary>");
            w.Line($"internal static readonly ListenerInfo[] {ListenerTable} =");
            w.Line("{");
            w.Indent();
            foreach (var l in table.Listeners)
            {
                w.Line(ListenerInfo(names, l) + ",");
            }
            w.Unindent();
            w.Line("};");
            w.Line();
            w.Line($"private protected {ListenersClass}(IServiceProvider? services, global::EventRouter.EventRouterOptions? options) : base(services, options) {{ }}");
            w.Line();
            w.Line($"private protected static ListenerInfo[] {ListenersMethod}(params int[] indexes) => global::System.Array.ConvertAll(indexes, static i => {ListenerTable}[i]);");
            w.Line();
            EmitListenerAccessors(w, names);
            for (var r = 0; r < table.Routes.Count; r++)
            {
                if (!HasFilters(table.Routes[r]))
                {
                    EmitInvoke(w, names, r, "private protected");
                }
            }
            w.Close();
        }

        /// <summary>
        /// The file: header, a file-scoped namespace, the aliases the body used (written after it, so they are known),
        /// then the body.
        /// </summary>
        internal static string FileWithAliases(string ns, TypeAliases aliases, string body, params string[] usings)
        {
            var w = Header();
            w.Line("namespace " + ns + ";");
            w.Line();
            foreach (var line in usings)
            {
                w.Line(line);
            }
            foreach (var (alias, target) in TypeAliases.Fixed)
            {
                w.Line($"using {alias} = {target};");
            }
            foreach (var line in aliases.Usings())
            {
                w.Line(line);
            }
            w.Line();
            return w + body;
        }

        /// <summary>
        /// One route: the shared <c>Route&lt;TEvent&gt;</c> with the event's name, its listeners (indexes into the one
        /// table of every listener, so a listener of several events is written once), and the dispatcher's
        /// methods for it (the typed <c>PublishAsync</c>, through <c>this</c>, and the invoke-by-index method).
        /// </summary>
        private static void EmitRouteConstruction(SourceWriter w, Names names, int r)
        {
            var table = names.Table;
            var route = table.Routes[r];
            var e = route.Event;
            var keys = "";
            if (e.IdMember is { } id)
            {
                keys += $", eventId: static @event => {KeyExpression(names, e, id, "@event")}";
            }
            if (e.PartitionKeyMember is { } key)
            {
                keys += $", partitionKey: static @event => {KeyExpression(names, e, key, "@event")}";
            }
            if (route.Entries.Count == 0)
            {
                w.Line($"{names.RouteField(r)} = new(this, {Literal(e.EventName)}, global::System.Array.Empty<ListenerInfo>(), null{keys});");
                return;
            }
            w.Line($"{names.RouteField(r)} = new(this, {Literal(e.EventName)}, {ListenersMethod}({ListenerIndexes(route.Entries)}), {names.InvokeMethod(r)}{keys});");
        }

        private static void EmitListenerAccessors(SourceWriter w, Names names)
        {
            var table = names.Table;
            var t = names.Type;
            for (var i = 0; i < table.Listeners.Count; i++)
            {
                var l = table.Listeners[i];
                var type = t(l.FullName);
                // A public parameterless constructor needs no lambda per listener: the helpers' new() constraint creates it.
                var constructor = l.SatisfiesNewConstraint ? "" : l.HasParameterlessConstructor ? $", static () => new {type}()" : ", null";
                if (l.Lifetime == ListenerLifetime.Singleton)
                {
                    w.Line($"private protected {type} {names.ListenerProperty(i)} => {names.ListenerField(i)} ?? InitializeSingleton(ref {names.ListenerField(i)}{constructor});");
                }
                else
                {
                    w.Line($"private protected {type} {names.ListenerFactory(i)}(IServiceProvider? services) => CreateListener<{type}>(services{constructor});");
                }
            }
            for (var f = 0; f < table.Filters.Count; f++)
            {
                var filter = table.Filters[f];
                var type = t(filter.FullName);
                var constructor = filter.HasParameterlessConstructor ? $"static () => new {type}()" : "null";
                w.Line($"private protected {type} {names.FilterProperty(f)} => {names.FilterField(f)} ?? InitializeSingleton(ref {names.FilterField(f)}, {constructor});");
            }
            if (table.Listeners.Count > 0)
            {
                w.Line();
            }
        }

        /// <summary>Route entries with at least one filter: (route index, entry index, entry).</summary>
        private static IEnumerable<(int Route, int Entry, RouteEntryModel Model)> FilteredEntries(TableModel table)
        {
            for (var r = 0; r < table.Routes.Count; r++)
            {
                for (var k = 0; k < table.Routes[r].Entries.Count; k++)
                {
                    if (table.Routes[r].Entries[k].Filters.Count > 0)
                    {
                        yield return (r, k, table.Routes[r].Entries[k]);
                    }
                }
            }
        }

        private static void EmitTypedPublish(SourceWriter w, Names names, int r)
        {
            var route = names.Table.Routes[r];
            var field = names.RouteField(r);
            var e = route.Event;
            var type = names.Type(e.FullName);
            w.Line("/// <inheritdoc />");
            w.Open($"public ValueTask PublishAsync({type} @event, CancellationToken cancellationToken = default)");
            if (!e.IsValueType)
            {
                w.Line("if (@event is null) throw NullEvent();");
            }
            if (!e.IsSealed)
            {
                // A derived instance has a route of its own (or takes the fallback route).
                w.Line($"if (@event.GetType() != typeof({type})) return PublishObjectAsync(@event, cancellationToken);");
            }
            if (route.Entries.Count == 0)
            {
                w.Line($"return {field}.HasSubscribers ? PublishThroughRouteAsync({field}, @event, cancellationToken) : NoListener({field}.EventName, typeof({type}));");
                w.Close();
                w.Line();
                return;
            }
            if (route.RequiresScope)
            {
                w.Line($"return PublishThroughRouteAsync({field}, @event, cancellationToken);");
                w.Close();
                w.Line();
                return;
            }
            // Everything unusual (concurrent mode, a trace or metrics listener, run-time subscribers of this event, a token
            // cancelled before the publish, which runs nothing) takes the route path, so the method below is only the
            // listener calls.
            w.Line($"if (TakesRoutePath({field}, cancellationToken)) return PublishThroughRouteAsync({field}, @event, cancellationToken);");
            // A try per listener whose catch only returns, with the listener's index as a constant: a handler that uses
            // nothing but the arguments leaves every local in registers. (One try around all the calls needs an index
            // variable live into the handler: a stack store per listener, measurably slower at 10 listeners.) The other
            // exits share one slow-path call site, which keeps the frame small.
            var last = route.Entries.Count - 1;
            w.Line("ValueTask pending;");
            if (last > 0)
            {
                w.Line("int index;");
            }
            for (var k = 0; k <= last; k++)
            {
                w.Line($"try {{ pending = {EntryCall(names, r, k, "null")}; }} catch (Exception ex) {{ return ContinueAfterThrowAsync({field}, @event, ex, {k}, cancellationToken); }}");
                // The token is checked between listeners, not after the last one.
                var stop = k < last ? "!pending.IsCompletedSuccessfully || cancellationToken.IsCancellationRequested" : "!pending.IsCompletedSuccessfully";
                w.Line(last > 0 ? $"if ({stop}) {{ index = {k}; goto Continue; }}" : $"if ({stop}) goto Continue;");
            }
            w.Line("return default;");
            w.Line("Continue:");
            w.Line($"return ContinueSequentialAsync({field}, @event, null, pending, {(last > 0 ? "index" : "0")}, cancellationToken);");
            w.Close();
            w.Line();
        }

        private static bool HasFilters(RouteModel route) => route.Entries.Any(static x => x.Filters.Count > 0);

        /// <summary>The entries' listeners as indexes into the table of every listener: <c>0, 3, 4</c>.</summary>
        internal static string ListenerIndexes(IEnumerable<RouteEntryModel> entries) =>
            string.Join(", ", entries.Select(static x => x.ListenerIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        /// <summary>
        /// The route's invoke-by-index (the slow paths, the dispatch loop): the route checks the index first, so the last
        /// listener is the switch's default.
        /// </summary>
        private static void EmitInvoke(SourceWriter w, Names names, int r, string access)
        {
            var route = names.Table.Routes[r];
            if (route.Entries.Count == 0)
            {
                return;
            }
            // Short parameter names: the method is private, and written once per event type.
            var signature = $"{access} ValueTask {names.InvokeMethod(r)}({names.Type(route.Event.FullName)} e, int i, IServiceProvider? s, CancellationToken ct) =>";
            if (route.Entries.Count == 1)
            {
                w.Line(signature);
                w.Indent().Line(EntryCall(names, r, 0, "s", "e", "ct") + ";").Unindent();
                w.Line();
                return;
            }
            w.Line(signature + " i switch");
            w.Line("{");
            w.Indent();
            for (var k = 0; k < route.Entries.Count; k++)
            {
                w.Line($"{(k < route.Entries.Count - 1 ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) : "_")} => {EntryCall(names, r, k, "s", "e", "ct")},");
            }
            w.Unindent();
            w.Line("};");
            w.Line();
        }

        /// <summary>The call of route entry <paramref name="k"/>: its filter chain, or the listener.</summary>
        private static string EntryCall(Names names, int r, int k, string services, string @event = "@event", string token = "cancellationToken")
        {
            var route = names.Table.Routes[r];
            return route.Entries[k].Filters.Count > 0
                ? $"{names.ChainField(r, k)}.{names.ChainEntry(r, k)}({@event}, {services}, {token})"
                : Call(names, route.Entries[k], route.Event.FullName, @event, services, prefix: "", token);
        }

        private static void EmitGenericPublish(SourceWriter w, Names names, bool useDictionary)
        {
            var table = names.Table;
            w.Line("/// <summary>Publishes an event through its compile-time route, found from <typeparamref name=\"TEvent\"/>.</summary>");
            if (!useDictionary)
            {
                // Inlined into a caller that knows TEvent, the comparisons fold away: one direct call to the typed overload.
                w.Line($"[{MethodImpl}.AggressiveInlining)]");
            }
            w.Open("public new ValueTask PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken = default)");
            // typeof(TEvent) comparisons fold away for value types; for reference types they are a few compares.
            // Large tables keep the chain for structs only and find reference types' routes once per type.
            foreach (var route in table.Routes.Where(x => !useDictionary || x.Event.IsValueType))
            {
                var e = names.Type(route.Event.FullName);
                w.Line($"if (typeof(TEvent) == typeof({e})) return PublishAsync(Unsafe.As<TEvent, {e}>(ref @event), cancellationToken);");
            }
            w.Line("if (@event is null) throw NullEvent();");
            if (useDictionary)
            {
                w.Line("var slot = RouteSlot<TEvent>.Value;");
                w.Line("if (slot == 0) RouteSlot<TEvent>.Value = slot = FindRouteSlot(typeof(TEvent));");
                w.Line("return slot > 0 ? _routes[slot - 1].PublishAsync(@event, cancellationToken) : PublishObjectAsync(@event, cancellationToken);");
            }
            else
            {
                w.Line("return PublishObjectAsync(@event, cancellationToken);");
            }
            w.Close();
            w.Line();
            w.Line("/// <inheritdoc />");
            w.Line("protected override ValueTask PublishCoreAsync<TEvent>(TEvent @event, CancellationToken cancellationToken) => PublishAsync<TEvent>(@event, cancellationToken);");
            w.Line();
            if (useDictionary)
            {
                w.Line("/// <summary>An event type's route: 0 until looked up, then the index into the routes + 1, or -1 when it has no compile-time route.</summary>");
                w.NonUserCodeAttributes();
                w.Open("private static class RouteSlot<TEvent>");
                w.Line("public static int Value;");
                w.Close();
                w.Line();
                w.Line("private int FindRouteSlot(Type eventType) => _routesByType.TryGetValue(eventType, out var route) ? global::System.Array.IndexOf(_routes, route) + 1 : -1;");
                w.Line();
            }
        }

        private static void EmitObjectPublish(SourceWriter w, Names names, bool useDictionary)
        {
            var table = names.Table;
            w.Line("/// <inheritdoc />");
            w.Line("public override ValueTask PublishAsync(object @event, CancellationToken cancellationToken = default) => PublishObjectAsync(@event, cancellationToken);");
            w.Line();
            // A separate name: inside this class `PublishAsync((object)x)` binds to the generic entry, because C# prefers
            // methods declared in the derived class over overrides (which count as the base class's).
            w.Line("/// <summary>Publishes an event through the route of its runtime type.</summary>");
            if (!useDictionary)
            {
                w.Line($"[{MethodImpl}.AggressiveInlining)]");
            }
            w.Open("private ValueTask PublishObjectAsync(object @event, CancellationToken cancellationToken)");
            w.Line("if (@event is null) throw NullEvent();");
            if (useDictionary)
            {
                w.Line("return _routesByType.TryGetValue(@event.GetType(), out var route) ? route.PublishAsync(@event, cancellationToken) : PublishUnknownAsync(@event, cancellationToken);");
            }
            else
            {
                // `@event.GetType() == typeof(X)` in each test (not a local) lets the JIT compare method tables, no call.
                foreach (var route in table.Routes)
                {
                    var e = names.Type(route.Event.FullName);
                    w.Line($"if (@event.GetType() == typeof({e})) return PublishAsync({Unbox(names, route.Event, "@event")}, cancellationToken);");
                }
                w.Line("return PublishUnknownAsync(@event, cancellationToken);");
            }
            w.Close();
            w.Line();
        }

        private static void EmitFindExactRoute(SourceWriter w, Names names, bool useDictionary)
        {
            var table = names.Table;
            w.Line("/// <inheritdoc />");
            w.Open("protected override EventRoute? FindExactRoute(Type eventType)");
            if (useDictionary)
            {
                w.Line("return _routesByType.TryGetValue(eventType, out var route) ? route : null;");
            }
            else
            {
                for (var r = 0; r < table.Routes.Count; r++)
                {
                    w.Line($"if (eventType == typeof({names.Type(table.Routes[r].Event.FullName)})) return {names.RouteField(r)};");
                }
                w.Line("return null;");
            }
            w.Close();
            w.Line();
        }

        private static void EmitFallback(SourceWriter w, Names names)
        {
            var table = names.Table;
            var open = table.OpenEntries;
            w.Line("/// <inheritdoc />");
            w.Open("protected override EventRoute? CreateFallbackRoute(Type eventType)");
            if (open.Count == 0)
            {
                w.Line("return null;");
                w.Close();
                w.Line();
                return;
            }
            w.Line("var entries = new global::System.Collections.Generic.List<int>();");
            for (var k = 0; k < open.Count; k++)
            {
                w.Line($"if (typeof({names.Type(open[k].Handled.Event.FullName)}).IsAssignableFrom(eventType)) entries.Add({k});");
            }
            w.Line("return entries.Count == 0 ? null : new FallbackRoute(this, eventType, entries.ToArray());");
            w.Close();
            w.Line();

            w.Line("/// <summary>The route of an event type unknown at compile time: the listeners of its base types.</summary>");
            w.NonUserCodeAttributes();
            w.Open("private sealed class FallbackRoute : EventRoute<object>");
            w.Line($"private static readonly ListenerInfo[] s_open = {ListenersMethod}({ListenerIndexes(open)});");
            w.Line("private readonly EventDispatcher _dispatcher;");
            w.Line("private readonly int[] _entries;");
            w.Line();
            w.Line("public FallbackRoute(EventDispatcher dispatcher, Type eventType, int[] entries)");
            w.Line("    : base(EventNameOf(eventType), eventType, global::System.Array.ConvertAll(entries, static k => s_open[k]))");
            w.Line("{");
            w.Indent();
            w.Line("_dispatcher = dispatcher;");
            w.Line("_entries = entries;");
            w.Close();
            w.Line();
            w.Line("public override ValueTask InvokeTypedAsync(object @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken) => InvokeAsync(@event, listenerIndex, services, cancellationToken);");
            w.Line();
            w.Open("public override ValueTask InvokeAsync(object @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken)");
            w.Open("switch ((uint)listenerIndex < (uint)_entries.Length ? _entries[listenerIndex] : -1)");
            for (var k = 0; k < open.Count; k++)
            {
                var h = open[k].Handled;
                var argument = h.Event.FullName == "object" ? "@event" : $"Unsafe.As<{names.Type(h.Event.FullName)}>(@event)";
                w.Line($"case {k}: return {Invoke(names, open[k].ListenerIndex, h, argument, "services", "_dispatcher.")};");
            }
            w.Line("default: throw InvalidListenerIndex(listenerIndex);");
            w.Close();
            w.Close();
            w.Line();
            w.Line("public override ValueTask PublishAsync(object @event, CancellationToken cancellationToken) => _dispatcher.PublishThroughRouteAsync(this, @event, cancellationToken);");
            w.Close();
            w.Line();
        }

        private static void EmitFilterChainClass(SourceWriter w, Names names, int r, int k, RouteEntryModel entry)
        {
            var table = names.Table;
            var e = names.Type(table.Routes[r].Event.FullName);
            var parameters = $"{e} @event, IServiceProvider? services, CancellationToken cancellationToken";
            var listener = names.Type(table.Listeners[entry.ListenerIndex].FullName);
            w.Line($"/// <summary>The filters around {TypeNames.SeeType(listener)} for {TypeNames.SeeType(e)}, outermost first, then the listener: direct calls.</summary>");
            w.NonUserCodeAttributes();
            w.Open($"private sealed class {names.ChainClass(r, k)} : FilterChain<{e}>");
            w.Line("private readonly EventDispatcher _dispatcher;");
            w.Line();
            var route = names.RouteField(r);
            w.Line($"public {names.ChainClass(r, k)}(EventDispatcher dispatcher) : base(dispatcher.{route}.Listeners[{k}], dispatcher.{route}.EventName) => _dispatcher = dispatcher;");
            w.Line();
            w.Open($"public override ValueTask InvokeAsync({e} @event, int index, IServiceProvider? services, CancellationToken cancellationToken)");
            w.Open("switch (index)");
            for (var i = 0; i < entry.Filters.Count; i++)
            {
                w.Line($"case {i}: return {names.ChainStep(entry.Filters[i])}(@event, services, cancellationToken);");
            }
            w.Line("default: return InvokeListener(@event, services, cancellationToken);");
            w.Close();
            w.Close();
            w.Line();
            // A method per step, entered at the outermost: the JIT never inlines a method into itself, so with one switch method
            // a filter's call of next could not be inlined back into the chain; with distinct steps the whole chain can be.
            for (var i = 0; i < entry.Filters.Count; i++)
            {
                var filter = table.Filters[entry.Filters[i]];
                var instance = filter.DirectCall
                    ? $"_dispatcher.{names.FilterProperty(entry.Filters[i])}"
                    : $"((global::EventRouter.IEventFilter)_dispatcher.{names.FilterProperty(entry.Filters[i])})";
                w.Line($"{(i == 0 ? "public" : "private")} ValueTask {names.ChainStep(entry.Filters[i])}({parameters}) => {instance}.InvokeAsync<{e}>(@event, Next({i + 1}, services), cancellationToken);");
                w.Line();
            }
            w.Line($"private ValueTask InvokeListener({parameters}) => {Call(names, entry, table.Routes[r].Event.FullName, "@event", "services", "_dispatcher.")};");
            w.Close();
            w.Line();
        }

        public static string EmitDependencyInjection(TableModel table)
        {
            var aliases = Names.NewAliases();
            var w = new SourceWriter();
            // Beside the friend's extension in Microsoft.Extensions.DependencyInjection, a second AddEventRouter would make
            // every call ambiguous: a project that sees another's generated types keeps its own in its own namespace.
            var nested = GeneratedNamespace.IsNested(table.Namespace);
            var dispatcher = "global::" + table.Namespace + ".EventDispatcher";
            w.Line("/// <summary>Registers the generated EventRouter dispatcher and its listeners.</summary>");
            w.Line(GeneratedCode.Attribute);
            w.NonUserCodeAttributes();
            w.Open("internal static class EventRouterServiceCollectionExtensions");
            w.Line("/// <summary>");
            w.Line("/// Registers every listener with its lifetime, and the generated dispatcher as a singleton under its own type,");
            w.Line("/// <see cref=\"EventDispatcherBase\"/>, <see cref=\"IEventPublisher\"/>, <see cref=\"IEventSubscriber\"/>");
            w.Line("/// and <see cref=\"IEventPublisher{TEvent}\"/> of each event type.");
            w.Line("/// </summary>");
            w.Open("public static IServiceCollection AddEventRouter(this IServiceCollection services, global::System.Action<EventRouterOptions>? configure = null)");
            w.Line("if (services is null) throw new global::System.ArgumentNullException(nameof(services));");
            // The options pipeline, not a captured instance: services.Configure<EventRouterOptions>, configuration and a
            // second AddEventRouter(o => ...) all compose.
            w.Line("EventRouterRegistration.AddOptions(services, configure);");
            // TryAddSingleton<T>() and its kin are TryAdd(ServiceDescriptor.Singleton<T, T>()): the listener under its own type.
            foreach (var l in table.Listeners)
            {
                w.Line($"services.TryAdd{l.Lifetime}<{aliases.Short(l.FullName)}>();");
            }
            foreach (var f in table.Filters)
            {
                w.Line($"services.TryAddSingleton<{aliases.Short(f.FullName)}>();");
            }
            w.Line($"services.TryAddSingleton<{dispatcher}>(static sp => new {dispatcher}(sp, EventRouterRegistration.GetOptions(sp)));");
            // The dispatcher under each interface it serves, with one factory: a table, not a registration per line.
            w.Line($"global::System.Func<IServiceProvider, object> dispatcher = static sp => sp.GetRequiredService<{dispatcher}>();");
            w.Line("Type[] aliases =");
            w.Line("{");
            w.Indent();
            w.Line("typeof(EventDispatcherBase),");
            w.Line("typeof(IEventPublisher),");
            w.Line("typeof(IEventSubscriber),");
            foreach (var route in table.Routes)
            {
                w.Line($"typeof(IEventPublisher<{aliases.Short(route.Event.FullName)}>),");
            }
            w.Unindent();
            w.Line("};");
            w.Line("foreach (var alias in aliases)");
            w.Line("{");
            w.Indent();
            w.Line("services.TryAdd(ServiceDescriptor.Singleton(alias, dispatcher));");
            w.Unindent();
            w.Line("}");
            w.Line("return services;");
            w.Close();
            w.Close();
            return FileWithAliases(
                nested ? table.Namespace : "Microsoft.Extensions.DependencyInjection",
                aliases,
                w.ToString(),
                "using global::EventRouter;",
                "using global::EventRouter.CompilerServices;",
                "using global::Microsoft.Extensions.DependencyInjection;",
                "using global::Microsoft.Extensions.DependencyInjection.Extensions;");
        }

        public static string EmitAssemblyInfo(TableModel table)
        {
            var w = Header();
            var listeners = string.Join(", ", table.ExportedListeners.Select(t => $"typeof({t})"));
            var events = string.Join(", ", table.ExportedEvents.Select(t => $"typeof({t})"));
            w.Line("// Lets the generator of a project that references this assembly dispatch to its listeners without reflection.");
            w.Line($"[assembly: global::EventRouter.CompilerServices.EventRouterAssembly(new global::System.Type[] {{ {listeners} }}, new global::System.Type[] {{ {events} }})]");
            return w.ToString();
        }

        private static SourceWriter Header() =>
            new SourceWriter().Line("// <auto-generated/>").Line("#nullable enable").Line(TypeNames.ObsoletePragma).Line();

        /// <summary>The call of one route entry from code where the event is typed as the route's event.</summary>
        private static string Call(
            Names names,
            RouteEntryModel entry,
            string eventType,
            string eventExpression,
            string services,
            string prefix,
            string token = "cancellationToken")
        {
            var h = entry.Handled;
            var argument = h.Event.FullName == eventType ? eventExpression : $"({names.Type(h.Event.FullName)}){eventExpression}";
            return Invoke(names, entry.ListenerIndex, h, argument, services, prefix, token);
        }

        private static string Invoke(
            Names names,
            int index,
            HandledEventModel handled,
            string argument,
            string services,
            string prefix,
            string token = "cancellationToken")
        {
            var instance = names.Table.Listeners[index].Lifetime == ListenerLifetime.Singleton
                ? $"{prefix}{names.ListenerProperty(index)}"
                : $"{prefix}{names.ListenerFactory(index)}({services})";
            if (handled.AnnotatedName is not null)
            {
                // The route's type has no nested annotations (List<string> for List<string?>): the same runtime type,
                // handed on without a nullability warning. `@event!`, not `(@event)!`, which would parse as a cast.
                argument = argument.IndexOf('(') < 0 ? argument + "!" : $"({argument})!";
            }
            return handled.DirectCall
                ? $"{instance}.HandleAsync({argument}, {token})"
                : $"((global::EventRouter.IEventListener<{names.Type(handled.AnnotatedName ?? handled.Event.FullName)}>){instance}).HandleAsync({argument}, {token})";
        }

        private static string ListenerInfo(Names names, ListenerModel l) =>
            $"new({Literal(l.DisplayName)}, typeof({names.Type(l.FullName)}), ListenerLifetime.{l.Lifetime})";

        private static string Unbox(Names names, EventTypeModel e, string expression) =>
            e.IsValueType ? $"Unsafe.Unbox<{names.Type(e.FullName)}>({expression})" : $"Unsafe.As<{names.Type(e.FullName)}>({expression})";

        private static string KeyExpression(Names names, EventTypeModel e, KeyMemberModel member, string instance)
        {
            var access = member.DeclaringType is { } declaring ? $"(({names.Type(declaring)}){instance}).{member.Name}" : $"{instance}.{member.Name}";
            return member.Kind switch
            {
                MemberKind.String => access,
                MemberKind.ValueType => $"{access}.ToString()",
                _ => $"{access}?.ToString()",
            };
        }


        private static string Literal(string value) => Literals.CSharp(value);
    }
}
