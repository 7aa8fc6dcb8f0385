using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Listeners;

public sealed partial class EventRouterGenerator
{
    /// <summary>Resolves listeners and event types into routes: a pure function of models, so its output caches.</summary>
    internal static class TableBuilder
    {
        private const string ObjectType = "object"; // FullyQualifiedFormat uses keywords for special types

        public static TableModel Build(
            ImmutableArray<ListenerModel> localListeners,
            ImmutableArray<EventTypeModel> namedEvents,
            EquatableArray<EventTypeModel> candidates,
            ReferencedModel referenced,
            bool hasDependencyInjection,
            ImmutableArray<FilterModel> localFilters)
        {
            var filters = FilterOrder.OutermostFirst(localFilters);

            var listeners = localListeners
                .Concat(referenced.Listeners)
                .GroupBy(l => l.FullName, StringComparer.Ordinal)
                .Select(g => g.First())
                .OrderBy(l => l.FullName, StringComparer.Ordinal)
                .ToList();

            var listened = new HashSet<string>(
                listeners.SelectMany(l => l.Handles).Select(h => h.Event.FullName), StringComparer.Ordinal);

            // Every concrete type that can be published and reach a listener, or that was named with [Event].
            var events = new Dictionary<string, EventTypeModel>(StringComparer.Ordinal);
            void Add(EventTypeModel? e)
            {
                if (e is { IsConcrete: true } && !events.ContainsKey(e.FullName))
                {
                    events.Add(e.FullName, e);
                }
            }
            foreach (var h in listeners.SelectMany(l => l.Handles))
            {
                Add(h.Event);
            }
            foreach (var e in namedEvents)
            {
                Add(e);
            }
            foreach (var e in referenced.Events)
            {
                Add(e);
            }
            foreach (var e in candidates)
            {
                if (e.BaseTypes.Any(listened.Contains))
                {
                    Add(e);
                }
            }

            // Index the (listener, handled type) pairs by handled type once, so each event looks up only its own type,
            // its base types and object instead of scanning every listener (2,000 listeners x 1,000 events otherwise).
            var byHandledType = new Dictionary<string, List<(int Listener, int Position, HandledEventModel Handled)>>(StringComparer.Ordinal);
            for (var i = 0; i < listeners.Count; i++)
            {
                var handles = listeners[i].Handles;
                for (var p = 0; p < handles.Count; p++)
                {
                    if (!byHandledType.TryGetValue(handles[p].Event.FullName, out var list))
                    {
                        byHandledType.Add(handles[p].Event.FullName, list = new());
                    }
                    list.Add((i, p, handles[p]));
                }
            }

            var routes = new List<RouteModel>();
            foreach (var e in events.Values.OrderBy(e => e.FullName, StringComparer.Ordinal))
            {
                var matches = new List<(int Listener, int Position, HandledEventModel Handled)>();
                foreach (var target in e.BaseTypes.Append(e.FullName).Append(ObjectType).Distinct(StringComparer.Ordinal))
                {
                    if (byHandledType.TryGetValue(target, out var list))
                    {
                        matches.AddRange(list);
                    }
                }
                // Listener order, then each listener's handled types in their own order: the stable publish order.
                matches.Sort(static (a, b) => a.Listener != b.Listener ? a.Listener.CompareTo(b.Listener) : a.Position.CompareTo(b.Position));

                var entries = new List<RouteEntryModel>(matches.Count);
                foreach (var (i, _, h) in matches)
                {
                    var applicable = Enumerable.Range(0, filters.Count)
                        .Where(f => filters[f].AppliesTo is not { } only || only == e.FullName || e.BaseTypes.Contains(only));
                    entries.Add(new RouteEntryModel(i, h) { Filters = applicable.ToEquatableArray() });
                }
                routes.Add(new RouteModel(e, entries.ToEquatableArray())
                {
                    RequiresScope = entries.Any(x => listeners[x.ListenerIndex].Lifetime != ListenerLifetime.Singleton),
                });
            }

            // Listeners of types that can have subtypes unknown at compile time, for the run-time fallback route.
            var open = new List<RouteEntryModel>();
            for (var i = 0; i < listeners.Count; i++)
            {
                foreach (var h in listeners[i].Handles)
                {
                    if (!h.Event.IsSealed)
                    {
                        open.Add(new RouteEntryModel(i, h));
                    }
                }
            }

            var exportedEvents = namedEvents.Concat(candidates)
                .Where(e => e is { IsPublic: true, IsConcrete: true } && events.ContainsKey(e.FullName))
                .Select(e => e.FullName)
                .Distinct(StringComparer.Ordinal)
                .OrderBy(n => n, StringComparer.Ordinal);

            return new TableModel(
                listeners.ToEquatableArray(),
                filters.ToEquatableArray(),
                routes.ToEquatableArray(),
                open.ToEquatableArray(),
                listeners.Where(l => l.IsFromSource && l.IsPublic).Select(l => l.FullName).ToEquatableArray(),
                exportedEvents.ToEquatableArray(),
                hasDependencyInjection);
        }
    }
}
