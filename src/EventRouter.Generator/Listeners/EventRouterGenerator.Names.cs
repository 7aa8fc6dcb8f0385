using System.Collections.Generic;
using System.Linq;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Listeners;

public sealed partial class EventRouterGenerator
{
    /// <summary>
    /// The names of a dispatch table's generated members, after the types they serve (see <see cref="MemberNames"/>):
    /// <c>_auditListener</c>/<c>Audit_Listener</c>, <c>_loggingFilter</c>/<c>Logging_Filter</c>,
    /// <c>_orderPlacedRoute</c>/<c>OrderPlaced_Invoke</c>, and for a filtered listener <c>_paid_LedgerChain</c>/<c>Paid_Ledger_Chain</c>.
    /// </summary>
    internal sealed class Names
    {
        private readonly string[] _listeners;
        private readonly string[] _filters;
        private readonly string[] _routes;
        private readonly Dictionary<(int Route, int Entry), string> _chains = new();

        /// <summary>Names the generated files use unqualified, which no alias of a project namespace may take.</summary>
        public static readonly string[] Reserved =
        {
            "EventDispatcher", "EventDispatcherListeners", "EventMap", "FallbackRoute", "RouteSlot", "Route", "Listener", "EventDispatcherBase", "EventRoute",
            "IEventPublisher", "IEventSubscriber", "IEventListener", "IEventFilter", "FilterChain", "EventRouterOptions",
            "EventRouterServiceCollectionExtensions", "EventRouter", "System", "Microsoft",
        };

        public Names(TableModel table)
        {
            Table = table;
            Aliases = NewAliases();
            var listeners = MemberNames.Stems(table.Listeners.Select(static l => l.FullName), "Listener");
            var filters = MemberNames.Stems(table.Filters.Select(static f => f.FullName), "Filter");
            var events = MemberNames.Stems(table.Routes.Select(static r => r.Event.FullName)
                .Concat(table.Routes.SelectMany(static r => r.Entries).Select(static x => x.Handled.Event.FullName)));
            _listeners = table.Listeners.Select(l => listeners[l.FullName]).ToArray();
            _filters = table.Filters.Select(f => filters[f.FullName]).ToArray();
            _routes = table.Routes.Select(r => events[r.Event.FullName]).ToArray();
            for (var r = 0; r < table.Routes.Count; r++)
            {
                var entries = table.Routes[r].Entries;
                for (var k = 0; k < entries.Count; k++)
                {
                    // A listener of two of the event's types (say the event and an interface of it) is in the route twice:
                    // the listened type tells its two chains apart.
                    var listener = entries[k].ListenerIndex;
                    var twice = entries.Count(x => x.ListenerIndex == listener) > 1;
                    _chains[(r, k)] = _routes[r] + "_" + _listeners[listener] + (twice ? "_" + events[entries[k].Handled.Event.FullName] : string.Empty);
                }
            }
        }

        public TableModel Table { get; }

        /// <summary>Aliases for one file: for the files that need no member names (DI, the event map), without building them.</summary>
        public static TypeAliases NewAliases() => new(Reserved.Concat(TypeAliases.Fixed.Select(static f => f.Alias)));

        /// <summary>The aliases of the project's namespaces handed out by <see cref="Type"/>, for the file's <c>using</c> lines.</summary>
        public TypeAliases Aliases { get; }

        /// <summary>A <c>global::</c> qualified type name as the file writes it, through an alias of its namespace.</summary>
        public string Type(string fullName) => Aliases.Short(fullName);

        public string ListenerField(int listener) => MemberNames.Field(_listeners[listener], "Listener");

        public string ListenerProperty(int listener) => _listeners[listener] + "_Listener";

        public string ListenerFactory(int listener) => _listeners[listener] + "_CreateListener";

        public string FilterField(int filter) => MemberNames.Field(_filters[filter], "Filter");

        public string FilterProperty(int filter) => _filters[filter] + "_Filter";

        public string RouteField(int route) => MemberNames.Field(_routes[route], "Route");

        /// <summary>The dispatcher's method that invokes one listener of the route by index.</summary>
        public string InvokeMethod(int route) => _routes[route] + "_Invoke";

        public string ChainClass(int route, int entry) => _chains[(route, entry)] + "_Chain";

        /// <summary><c>_paid_LedgerChain</c>: the first stem in camel case, then the others, so it cannot equal a route's, listener's or filter's field.</summary>
        public string ChainField(int route, int entry) => MemberNames.Field(_chains[(route, entry)], "Chain");

        /// <summary>The chain's step that calls a filter (a chain holds each filter once).</summary>
        public string ChainStep(int filter) => "Invoke_" + _filters[filter] + "_Filter";

        /// <summary>The outermost step of a chain: where a route enters it.</summary>
        public string ChainEntry(int route, int entry) => ChainStep(Table.Routes[route].Entries[entry].Filters[0]);
    }
}
