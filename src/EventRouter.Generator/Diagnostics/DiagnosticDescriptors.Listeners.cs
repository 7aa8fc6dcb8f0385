using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Diagnostics;

internal static partial class DiagnosticDescriptors
{
    private const string Usage = "EventRouter.Usage";

    public static readonly DiagnosticDescriptor ListenerWithoutInterface = Create(
        "ER0001",
        "Listener implements no IEventListener<T>",
        "'{0}' is marked [EventListener] but implements no IEventListener<T>, so it receives no events",
        Usage,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ListenerNotConcrete = Create(
        "ER0002",
        "Listener must be a concrete, non-generic class",
        "'{0}' cannot be a listener: it is abstract, static, generic or not a class, so the dispatch table cannot create it",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ListenerInaccessible = Create(
        "ER0003",
        "Listener is not accessible to the generated dispatch table",
        "'{0}' must be public or internal (and so must every type it is nested in) for the generated dispatch table to call it",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ListenerWithoutConstructor = Create(
        "ER0004",
        "Listener has no usable constructor",
        "'{0}' has no public or internal constructor, so neither the dispatch table nor dependency injection can create it",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor EventTypeNotNameable = Create(
        "ER0005",
        "Event type cannot be named by the generated dispatch table",
        "'{0}' listens to '{1}', which the generated dispatch table cannot name (private or protected type, or a type parameter); this listener is skipped for it",
        Usage,
        DiagnosticSeverity.Error);
}

internal static partial class DiagnosticDescriptors
{
    public static readonly DiagnosticDescriptor InvalidFilter = Create(
        "ER0006",
        "Filter has an invalid shape",
        "'{0}' is marked [EventFilter] but {1}, so it is not applied",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor FilterOrderConflict = Create(
        "ER0007",
        "Two filters have the same order",
        "Filters '{0}' and '{1}' both have Order = {2}; their relative order falls back to type names. Give each a distinct Order.",
        Usage,
        DiagnosticSeverity.Warning);
}

internal static partial class DiagnosticDescriptors
{
    public static readonly DiagnosticDescriptor NullableValueTypeEvent = Create(
        "ER0008",
        "Event type cannot be a nullable value type",
        "'{0}' listens to '{1}', a nullable value type: a published value arrives as '{2}' (or as null), never as '{1}', so this handler is skipped; listen to '{2}' instead",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnreadableKeyMember = Create(
        "ER0009",
        "[EventId] or [PartitionKey] member cannot be read by the generated code",
        "'{0}' is marked [{1}] but the generated code cannot read it (it needs a public or internal instance field, or a parameterless property with a public or internal getter), so the attribute is ignored",
        Usage,
        DiagnosticSeverity.Warning);
}
