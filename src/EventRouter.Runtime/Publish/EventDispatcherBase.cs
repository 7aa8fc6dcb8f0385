using System;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventRouter;

/// <summary>
/// The runtime half of the generated dispatcher: listener creation, the slow (asynchronous or failing) publish
/// paths, scopes, and the no-listener policy. The generated <c>EventDispatcher</c> derives from it and adds the
/// typed fast paths.
/// </summary>
public abstract partial class EventDispatcherBase : IEventPublisher, IEventSubscriber
{
    private readonly ConcurrentDictionary<Type, EventRoute> _fallbackRoutes = new();
    private readonly bool _concurrent;

    // Writers (subscribe/unsubscribe) take the lock; publishers only read route arrays, so they never wait.
    private readonly object _subscriptionGate = new();
    private Subscription[] _subscriptions = Array.Empty<Subscription>();
    private int _subscriptionVersion;

    /// <summary>Creates the dispatcher.</summary>
    /// <param name="services">The DI container, or null to create listeners without DI.</param>
    /// <param name="options">Settings; defaults when null.</param>
    protected EventDispatcherBase(IServiceProvider? services, EventRouterOptions? options)
    {
        Services = services;
        Options = options ?? new EventRouterOptions();
        _concurrent = Options.PublishMode == PublishMode.Concurrent;
        var loggerFactory = Options.LoggerFactory ?? services?.GetService<ILoggerFactory>();
        Logger = loggerFactory?.CreateLogger("EventRouter") ?? new UnconfiguredLogger();
    }

    /// <summary>The DI container listeners are resolved from, or null.</summary>
    public IServiceProvider? Services { get; }

    /// <summary>The settings this dispatcher runs with.</summary>
    public EventRouterOptions Options { get; }

    /// <summary>The router's logger.</summary>
    protected internal ILogger Logger { get; }

    /// <summary>
    /// True when the generated inline fast path must step aside for the route path: concurrent mode, or a trace or
    /// metrics listener of what publish records is attached. Read once per publish.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool RequiresRoutePath
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _concurrent || Telemetry.PublishEnabled;
    }

    /// <summary>
    /// True when a publish of <paramref name="route"/>'s event must take the route path instead of the generated inline
    /// one: concurrent mode or run-time subscribers of the event (one flag of the route), a trace or metrics listener
    /// of what publish records, or a token cancelled before the publish (which runs nothing). Called by generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected bool TakesRoutePath(EventRoute route, CancellationToken cancellationToken) =>
        route.TakesRoutePath || Telemetry.PublishEnabled || cancellationToken.IsCancellationRequested;

    /// <summary>True in concurrent mode: routes of this dispatcher then always take the route path.</summary>
    internal bool IsConcurrent => _concurrent;

    /// <inheritdoc />
    /// <remarks>
    /// Non-virtual: a generic virtual call is resolved through a run-time lookup on every call. The generated
    /// dispatcher declares its own <c>PublishAsync&lt;TEvent&gt;</c>, which callers holding the concrete type (and
    /// <see cref="IEventPublisher"/>, which it re-implements) reach directly; callers holding this base class pay one
    /// generic virtual call, to <see cref="PublishCoreAsync{TEvent}"/>.
    /// </remarks>
#pragma warning disable RS0026 // Both overloads take an optional token: a typed argument binds to the generic one, and only
    // an object-typed one to the other, so the pair is never ambiguous.
    public ValueTask PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken = default) =>
        PublishCoreAsync(@event, cancellationToken);

    /// <summary>The generic entry for callers that hold <see cref="EventDispatcherBase"/>. Implemented by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract ValueTask PublishCoreAsync<TEvent>(TEvent @event, CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract ValueTask PublishAsync(object @event, CancellationToken cancellationToken = default);
#pragma warning restore RS0026

    /// <summary>Throws the exception for a null event. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static ArgumentNullException NullEvent() => new("event", "Cannot publish a null event.");

    /// <summary>The stable name of a type known only at run time: its [Event] name, else its full name.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static string EventNameOf(Type type) =>
        type.GetCustomAttribute<EventAttribute>(inherit: false)?.Name ?? type.FullName ?? type.Name;
}
