using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace EventRouter.Durability;

/// <summary>
/// Turns events into the rows the store keeps and back, through the application's source-generated
/// <see cref="JsonSerializerContext"/> (no reflection-based serialization, so trimming and Native AOT are safe). A row
/// holds the event's stable name (<see cref="EventDispatcherBase.EventNameOf"/>, the name every transport uses) and its
/// JSON; reading it back maps the name to a type known to this process: an event type of the dispatcher's routes,
/// one listed in <see cref="DurableStoreOptions.EventTypes"/>, or one this process stored.
/// </summary>
internal sealed class EventCodec
{
    private readonly JsonSerializerContext? _context;
    private readonly ConcurrentDictionary<Type, Entry> _byType = new();
    private readonly ConcurrentDictionary<string, Type> _byName = new(StringComparer.Ordinal);

    public EventCodec(JsonSerializerContext? context, IEnumerable<Type> eventTypes)
    {
        _context = context;
        foreach (var type in eventTypes)
        {
            Learn(type, EventDispatcherBase.EventNameOf(type));
        }
    }

    /// <summary>Makes the event types of a dispatcher readable.</summary>
    public void Learn(IEnumerable<EventRoute> routes)
    {
        foreach (var route in routes)
        {
            Learn(route.EventType, route.EventName);
        }
    }

    /// <summary>The event's name, id and JSON.</summary>
    /// <param name="event">The event.</param>
    /// <param name="route">Its route, when a dispatcher knows it (the route reads an [EventId] member).</param>
    public (string Name, string? Id, string Payload) Encode(object @event, EventRoute? route)
    {
        var type = @event.GetType();
        var entry = EntryOf(type, route?.EventName);
        var id = route?.GetEventId(@event) ?? (@event as IIdentifiableEvent)?.EventId;
        return (entry.Name, id, JsonSerializer.Serialize(@event, entry.Info));
    }

    /// <summary>The event a row holds.</summary>
    /// <exception cref="InvalidOperationException">The name is unknown here, or the context cannot read the type.</exception>
    /// <exception cref="JsonException">The payload is not valid for the type.</exception>
    public object Decode(string eventName, string payload)
    {
        if (!_byName.TryGetValue(eventName, out var type))
        {
            throw new InvalidOperationException(
                $"The store holds an event named '{eventName}', but no event type of that name is known to this process: add its type to DurableStoreOptions.EventTypes, or let a listener of the dispatcher handle it.");
        }
        return JsonSerializer.Deserialize(payload, EntryOf(type, eventName).Info)
            ?? throw new JsonException($"The stored payload of event '{eventName}' is null.");
    }

    private void Learn(Type type, string name)
    {
        _byName.TryAdd(name, type);
    }

    private Entry EntryOf(Type type, string? name)
    {
        if (_byType.TryGetValue(type, out var entry))
        {
            return entry;
        }
        name ??= EventDispatcherBase.EventNameOf(type);
        if (_context is null)
        {
            throw new InvalidOperationException(
                $"Event '{name}' ({type.FullName}) is stored by the durable store, but DurableStoreOptions.JsonContext is not set: set it to a source-generated JsonSerializerContext with a [JsonSerializable(typeof({type.FullName}))].");
        }
        var info = _context.GetTypeInfo(type)
            ?? throw new InvalidOperationException(
                $"Event '{name}' ({type.FullName}) is stored by the durable store, but the JsonSerializerContext {_context.GetType().FullName} cannot serialize it. Add [JsonSerializable(typeof({type.FullName}))] to that context.");
        Learn(type, name);
        return _byType.GetOrAdd(type, new Entry(name, info));
    }

    private sealed record Entry(string Name, JsonTypeInfo Info);
}
