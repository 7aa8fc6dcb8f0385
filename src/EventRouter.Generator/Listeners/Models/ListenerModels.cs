using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Listeners.Models;

// Pipeline models: strings, bools and EquatableArray only — no Roslyn types inside, or incremental caching breaks.

/// <summary>How an event's id or partition key member is turned into a string.</summary>
internal enum MemberKind
{
    String,
    ValueType,
    Reference,
}

/// <summary>A member marked [EventId] or [PartitionKey].</summary>
/// <param name="Name">The member's name as code writes it (keywords escaped).</param>
internal sealed record KeyMemberModel(string Name, MemberKind Kind)
{
    /// <summary>The base class declaring the member when a member of the event type hides it (<c>new</c>): read through a cast to it.</summary>
    public string? DeclaringType { get; init; }
}

/// <summary>An event type as the generator needs to know it.</summary>
/// <param name="FullName">Fully qualified with <c>global::</c>, for emitted code.</param>
/// <param name="DisplayName">Full name without <c>global::</c>, for messages.</param>
/// <param name="EventName">The [Event] name, or <paramref name="DisplayName"/>.</param>
/// <param name="IsSealed">A struct or sealed class: the static type is always the runtime type.</param>
/// <param name="IsConcrete">Can be instantiated, so it gets a route of its own.</param>
/// <param name="IsPublic">Visible outside its assembly.</param>
/// <param name="BaseTypes">Full names of every base class (but object) and interface, sorted.</param>
internal sealed record EventTypeModel(
    string FullName,
    string DisplayName,
    string EventName,
    bool IsValueType,
    bool IsSealed,
    bool IsConcrete,
    bool IsPublic,
    EquatableArray<string> BaseTypes,
    KeyMemberModel? IdMember,
    KeyMemberModel? PartitionKeyMember);

/// <summary>One <c>IEventListener&lt;T&gt;</c> implementation of a listener.</summary>
/// <param name="Event">The listened type <c>T</c>.</param>
/// <param name="DirectCall">True when a public <c>HandleAsync(T, CancellationToken)</c> implements it, so the call needs no interface dispatch.</param>
internal sealed record HandledEventModel(EventTypeModel Event, bool DirectCall)
{
    /// <summary>
    /// The listened type with its nested nullable annotations (<c>List&lt;string?&gt;</c>) when they differ from
    /// <see cref="EventTypeModel.FullName"/>: the call of the listener's own signature is written with it.
    /// </summary>
    public string? AnnotatedName { get; init; }
}

/// <summary>How a listener instance is created and shared; the values of the runtime's <c>ListenerLifetime</c>, which <c>[EventListener(Lifetime = …)]</c> carries as an int.</summary>
internal enum ListenerLifetime
{
    Singleton = 0,
    Scoped = 1,
    Transient = 2,
}

/// <summary>A valid [EventListener] class.</summary>
internal sealed record ListenerModel(
    string FullName,
    string DisplayName,
    ListenerLifetime Lifetime,
    bool HasParameterlessConstructor,
    bool IsPublic,
    bool IsFromSource,
    EquatableArray<HandledEventModel> Handles)
{
    /// <summary>A public parameterless constructor: generated code can create it through a <c>new()</c>-constrained helper, without a lambda of its own.</summary>
    public bool SatisfiesNewConstraint { get; init; }
}

/// <summary>What referenced assemblies contribute, read from their <c>[assembly: EventRouterAssembly]</c>.</summary>
internal sealed record ReferencedModel(EquatableArray<ListenerModel> Listeners, EquatableArray<EventTypeModel> Events);

/// <summary>One call in a route: listener <see cref="ListenerIndex"/> through its handler for <see cref="Handled"/>.</summary>
internal sealed record RouteEntryModel(int ListenerIndex, HandledEventModel Handled)
{
    /// <summary>Indexes into <see cref="TableModel.Filters"/> of the filters around this call, outermost first.</summary>
    public EquatableArray<int> Filters { get; init; } = EquatableArray<int>.Empty;
}

/// <summary>A concrete event and the ordered listeners it reaches.</summary>
internal sealed record RouteModel(EventTypeModel Event, EquatableArray<RouteEntryModel> Entries)
{
    public bool RequiresScope { get; init; }
}

/// <summary>The whole dispatch table of a compilation.</summary>
internal sealed record TableModel(
    EquatableArray<ListenerModel> Listeners,
    EquatableArray<FilterModel> Filters,
    EquatableArray<RouteModel> Routes,
    EquatableArray<RouteEntryModel> OpenEntries,
    EquatableArray<string> ExportedListeners,
    EquatableArray<string> ExportedEvents,
    bool EmitDependencyInjection)
{
    /// <summary>Where the generated types go (see <see cref="GeneratedNamespace"/>).</summary>
    public string Namespace { get; init; } = GeneratedNamespace.Default;
}
