using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Diagnostics;

/// <summary>
/// Every diagnostic of EventRouter, with fixed IDs. Ranges: ER0001–ER0099 listeners and events, ER0100–ER0199 module
/// servers, ER0200–ER0299 dispatch loop, ER0300–ER0399 reactor, ER0400–ER0499 broker. Never reuse or renumber an ID.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Usage = "EventRouter.Usage";
    private const string Broker = "EventRouter.Broker";
    // Each ID's section of docs/diagnostics.md, in the repository Directory.Build.props names.
    private const string HelpLinkBase = RepositoryUrl.Value + "/blob/main/docs/diagnostics.md#";

    internal static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id.ToLowerInvariant());

    // Listeners and events (ER0001–ER0099).

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

    /// <summary>
    /// Info by default, not Warning: a library that publishes events for the applications that reference it has no
    /// listener in sight by design, and a default warning would break its warnings-as-errors build. Raise it with
    /// <c>dotnet_diagnostic.ER0010.severity = warning</c> in .editorconfig where every listener is in view (an app).
    /// </summary>
    public static readonly DiagnosticDescriptor PublishedEventWithoutListener = Create(
        "ER0010",
        "No listener handles the published event type",
        "No listener in this compilation or its references handles '{0}', so {1} delivers it to nobody",
        Usage,
        DiagnosticSeverity.Info);

    /// <summary>
    /// A warning: the listener cannot be created by a dispatcher without a service provider, so its first event would
    /// fail at run time. Reported only in a project that never calls AddEventRouter (one that does may create
    /// dispatchers without DI on purpose for listeners that need nothing), and never for a dispatcher created with
    /// options (their ListenerFactory may create it). Found at the end of the compilation.
    /// </summary>
    public static readonly DiagnosticDescriptor ListenerNeedsServices = new(
        "ER0011",
        "Listener needs a service provider the dispatcher does not have",
        "Listener {0} has no parameterless constructor, and this EventDispatcher has no service provider to create it: its events would fail at run time. Register the router with services.AddEventRouter() and resolve the dispatcher, or pass EventRouterOptions with a ListenerFactory.",
        Usage,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinkBase + "er0011",
        customTags: WellKnownDiagnosticTags.CompilationEnd);

    // Module servers (ER0100–ER0199).

    public static readonly DiagnosticDescriptor ModuleServerNotPartial = Create(
        "ER0100",
        "Module server class must be partial",
        "Module server class '{0}' must be declared partial so its typed client and registration can be generated",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateRequestHandler = Create(
        "ER0101",
        "Request type handled more than once",
        "Module server '{0}' handles request type '{1}' more than once (responses {2}); a request type must have exactly one handler",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidModuleServerShape = Create(
        "ER0102",
        "Module server class has an unsupported shape",
        "Module server class '{0}' is {1}; a module server must be a non-generic, non-abstract, non-static top-level class (not a record) that is public or internal",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor HandlerMethodNotRouted = Create(
        "ER0103",
        "Method looks like a handler but is not one",
        "Method '{0}.{1}' is not the implementation of any IRequestHandler<TRequest, TResponse>, IStreamRequestHandler<TRequest, TItem> or ICommandHandler<TCommand> of the module, so no message reaches it; implement the interface (returning ValueTask, ValueTask<TResponse> or IAsyncEnumerable<TItem> and taking the message and a CancellationToken)",
        Usage,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ModuleHandlesNothing = Create(
        "ER0104",
        "Module server handles no messages",
        "Module server '{0}' implements no IRequestHandler<TRequest, TResponse>, IStreamRequestHandler<TRequest, TItem> or ICommandHandler<TCommand>; its client has nothing to send",
        Usage,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ClientNameTaken = Create(
        "ER0105",
        "The name of the generated client is already taken",
        "Module server '{0}' gets a generated client named '{1}', but '{1}' already exists, so no client is generated; rename that type or the module",
        Usage,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedStreamHandler = Create(
        "ER0106",
        "Stream request handler is not supported",
        "Module server '{0}' cannot stream '{1}': {2}; it gets no StreamAsync",
        Usage,
        DiagnosticSeverity.Error);

    // Broker (ER0400–ER0499).

    public static readonly DiagnosticDescriptor BrokerEventNotInJsonContext = Create(
        "ER0400",
        "Event crosses the broker but is not in the JSON context",
        "Event '{0}' crosses the broker but '{1}' cannot serialize it: add [JsonSerializable(typeof({2}))] to '{1}'",
        Broker,
        DiagnosticSeverity.Error);
}
