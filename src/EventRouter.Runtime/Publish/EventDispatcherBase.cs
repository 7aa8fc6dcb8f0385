using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventRouter;

/// <summary>
/// The runtime half of the generated dispatcher: listener creation, the slow (asynchronous or failing) publish
/// paths, scopes, and the no-listener policy. The generated <c>EventDispatcher</c> derives from it and adds the
/// typed fast paths.
/// </summary>
public abstract class EventDispatcherBase : IEventPublisher, IEventSubscriber
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
        Logger = loggerFactory?.CreateLogger("EventRouter") ?? NullLogger.Instance;
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

    /// <summary>Every concrete event type known at compile time, with its listeners, ordered by type name.</summary>
    public abstract IReadOnlyList<EventRoute> Routes { get; }

    /// <summary>
    /// The route for an event's runtime type: the compile-time route when the type is known, else a route built once
    /// from the listeners of its base classes and interfaces. Null when nothing listens to the type.
    /// </summary>
    public EventRoute? GetRoute(Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var route = FindExactRoute(eventType) ?? GetFallbackRoute(eventType);
        return route is SubscriptionOnlyRoute && !route.HasSubscribers ? null : route;
    }

    /// <summary>The cached run-time route of a type without a compile-time route, with current subscriptions.</summary>
    private EventRoute GetFallbackRoute(Type eventType)
    {
        var route = _fallbackRoutes.GetOrAdd(
            eventType, static (type, self) => self.CreateFallbackRoute(type) ?? new SubscriptionOnlyRoute(self, type), this);
        if (route.SubscriptionVersion != Volatile.Read(ref _subscriptionVersion))
        {
            // A route built while a subscription changed catches up here, on the slow (unknown type) path only.
            lock (_subscriptionGate)
            {
                SyncSubscribers(route);
            }
        }
        return route;
    }

    /// <inheritdoc />
    public IDisposable Subscribe<TEvent>(IEventListener<TEvent> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var type = listener.GetType();
        return AddSubscription(new Subscription<TEvent>(
            this, listener.HandleAsync, new ListenerInfo(type.FullName ?? type.Name, type, ListenerLifetime.Singleton)));
    }

    /// <inheritdoc />
    public IDisposable Subscribe<TEvent>(Func<TEvent, CancellationToken, ValueTask> handler, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddSubscription(new Subscription<TEvent>(
            this, handler, new ListenerInfo(name ?? "subscription:" + typeof(TEvent).FullName, typeof(Func<TEvent, CancellationToken, ValueTask>), ListenerLifetime.Singleton)));
    }

    private Subscription AddSubscription(Subscription subscription)
    {
        lock (_subscriptionGate)
        {
            _subscriptions = [.. _subscriptions, subscription];
            SyncAllRoutes();
        }
        return subscription;
    }

    internal void Unsubscribe(Subscription subscription)
    {
        lock (_subscriptionGate)
        {
            _subscriptions = Array.FindAll(_subscriptions, s => !ReferenceEquals(s, subscription));
            SyncAllRoutes();
        }
    }

    private void SyncAllRoutes()
    {
        _subscriptionVersion++;
        foreach (var route in Routes)
        {
            SyncSubscribers(route);
        }
        foreach (var route in _fallbackRoutes.Values)
        {
            SyncSubscribers(route);
        }
    }

    // Copy-on-write: a publish that already read the old array finishes with it undisturbed.
    private void SyncSubscribers(EventRoute route)
    {
        route.SetSubscribers(Array.FindAll(_subscriptions, s => s.EventType.IsAssignableFrom(route.EventType)));
        route.SubscriptionVersion = _subscriptionVersion;
    }

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

    /// <summary>The compile-time route of exactly this type, or null.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract EventRoute? FindExactRoute(Type eventType);

    /// <summary>Builds the route of a type unknown at compile time from the listeners of its base types; null if none.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract EventRoute? CreateFallbackRoute(Type eventType);

    /// <summary>Publishes an event whose runtime type has no compile-time route. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask PublishUnknownAsync(object @event, CancellationToken cancellationToken)
    {
        var route = GetFallbackRoute(@event.GetType());
        return route.Listeners.Count == 0 && !route.HasSubscribers
            ? NoListener(route.EventName, route.EventType)
            : route.PublishAsync(@event, cancellationToken);
    }


    /// <summary>Applies the no-listener policy. Called by generated code for events without listeners.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask NoListener(string eventName, Type eventType)
    {
        switch (Options.NoListenerPolicy)
        {
            case NoListenerPolicy.Throw:
                return ValueTask.FromException(new NoListenerException(eventName, eventType));
            case NoListenerPolicy.Log:
                Log.NoListener(Logger, eventName, eventType.FullName);
                return default;
            default:
                return default;
        }
    }

    /// <summary>
    /// Runs all listeners of a route through <see cref="EventRoute{TEvent}.InvokeTypedAsync(TEvent, int, IServiceProvider, CancellationToken)"/>,
    /// with a DI scope when the route needs one and in the configured mode. Used where the inline fast path does not apply.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal ValueTask PublishThroughRouteAsync<TEvent>(EventRoute<TEvent> route, TEvent @event, CancellationToken cancellationToken) =>
        Telemetry.PublishEnabled
            ? PublishInstrumentedAsync(route, @event, cancellationToken)
            : PublishUninstrumentedAsync(route, @event, cancellationToken);

    private async ValueTask PublishInstrumentedAsync<TEvent>(EventRoute<TEvent> route, TEvent @event, CancellationToken cancellationToken)
    {
        Telemetry.Published.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", route.EventName));
        using var activity = Telemetry.StartActivity("publish", route.EventName, ActivityKind.Producer, payload: @event);
        activity?.SetTag("eventrouter.listener.count", route.Listeners.Count);
        try
        {
            await PublishUninstrumentedAsync(route, @event, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }

    private ValueTask PublishUninstrumentedAsync<TEvent>(EventRoute<TEvent> route, TEvent @event, CancellationToken cancellationToken)
    {
        if (route.RequiresScope && Services is not null)
        {
            return PublishInScopeAsync(route, @event, cancellationToken);
        }
        return _concurrent
            ? RunConcurrentAsync(route, @event, null, cancellationToken)
            : ContinueSequentialAsync(route, @event, null, default, -1, cancellationToken);
    }

    private async ValueTask PublishInScopeAsync<TEvent>(EventRoute<TEvent> route, TEvent @event, CancellationToken cancellationToken)
    {
        // A scope per publish: scoped listeners of one publish share instances, and nothing outlives the publish.
        await using var scope = Services!.CreateAsyncScope();
        if (_concurrent)
        {
            await RunConcurrentAsync(route, @event, scope.ServiceProvider, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ContinueSequentialAsync(route, @event, scope.ServiceProvider, default, -1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The sequential slow path: awaits the listener at <paramref name="pendingIndex"/> (which did not complete
    /// synchronously, or failed), then runs the rest in order, collecting failures. Called by generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected async ValueTask ContinueSequentialAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, IServiceProvider? services, ValueTask pending, int pendingIndex, CancellationToken cancellationToken)
    {
        List<ListenerFailure>? failures = null;
        var listeners = route.Listeners;
        if (pendingIndex >= 0)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
            {
                (failures ??= new()).Add(new ListenerFailure(listeners[pendingIndex], ex));
            }
        }

        for (var i = pendingIndex + 1; i < listeners.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            try
            {
                await InvokeListenerAsync(route, @event, i, services, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
            {
                (failures ??= new()).Add(new ListenerFailure(listeners[i], ex));
            }
        }

        // Run-time subscriptions run after the compile-time listeners, with the same isolation.
        if (route.Subscribers is { } subscribers)
        {
            object boxed = @event!;
            foreach (var subscriber in subscribers)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                try
                {
                    await InvokeSubscriberAsync(route, subscriber, boxed, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
                {
                    (failures ??= new()).Add(new ListenerFailure(subscriber.Info, ex));
                }
            }
        }

        // Failures are never hidden by a cancellation: they win over OperationCanceledException.
        if (failures is not null)
        {
            throw new EventPublishException(route.EventName, failures);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// The sequential slow path after listener <paramref name="index"/> threw synchronously: records the failure and
    /// runs the rest. Called from the generated fast path's catch blocks, which then hold no ValueTask temporary.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask ContinueAfterThrowAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, Exception exception, int index, CancellationToken cancellationToken) =>
        ContinueSequentialAsync(route, @event, null, ValueTask.FromException(exception), index, cancellationToken);

    private static async ValueTask RunConcurrentAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, IServiceProvider? services, CancellationToken cancellationToken)
    {
        var listeners = route.Listeners;
        var subscribers = route.Subscribers ?? Array.Empty<Subscription>();
        var pending = new ValueTask[listeners.Count + subscribers.Length];
        object? boxed = subscribers.Length > 0 ? @event : null;
        for (var i = 0; i < pending.Length; i++)
        {
            try
            {
                pending[i] = i < listeners.Count
                    ? InvokeListenerAsync(route, @event, i, services, cancellationToken)
                    : InvokeSubscriberAsync(route, subscribers[i - listeners.Count], boxed!, cancellationToken);
            }
            catch (Exception ex)
            {
                pending[i] = ValueTask.FromException(ex);
            }
        }

        List<ListenerFailure>? failures = null;
        for (var i = 0; i < pending.Length; i++)
        {
            try
            {
                await pending[i].ConfigureAwait(false);
            }
            catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
            {
                var who = i < listeners.Count ? listeners[i] : subscribers[i - listeners.Count].Info;
                (failures ??= new()).Add(new ListenerFailure(who, ex));
            }
        }
        if (failures is not null)
        {
            throw new EventPublishException(route.EventName, failures);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Invokes one listener on a slow path, inside a span with duration and outcome metrics when anything listens.</summary>
    private static ValueTask InvokeListenerAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, int index, IServiceProvider? services, CancellationToken cancellationToken)
    {
        if (!Telemetry.PublishEnabled)
        {
            return route.InvokeTypedAsync(@event, index, services, cancellationToken);
        }
        var listener = route.Listeners[index];
        return RunInstrumented(
            route.EventName, listener, parent: default, attempt: 0, payload: null,
            (route, @event, index, services, cancellationToken),
            static s => ListenerInterception.Find(s.route.Listeners[s.index].ListenerType) is { } stub
                ? stub(s.@event!, s.cancellationToken)
                : s.route.InvokeTypedAsync(s.@event, s.index, s.services, s.cancellationToken));
    }

    private static ValueTask InvokeSubscriberAsync(EventRoute route, Subscription subscriber, object @event, CancellationToken cancellationToken) =>
        Telemetry.PublishEnabled
            ? RunInstrumented(route.EventName, subscriber.Info, parent: default, attempt: 0, payload: null,
                (subscriber, @event, cancellationToken), static s => s.subscriber.InvokeAsync(s.@event, s.cancellationToken))
            : subscriber.InvokeAsync(@event, cancellationToken);

    /// <summary>
    /// Runs one listener invocation inside a "process" span (current while the listener's synchronous part runs) and
    /// records its outcome and duration. Shared by publish and the dispatch loop; only called when telemetry is on.
    /// </summary>
    /// <param name="eventName">The event's name (span destination).</param>
    /// <param name="listener">The listener invoked.</param>
    /// <param name="parent">An explicit parent (the enqueue span for background deliveries); default: the current span.</param>
    /// <param name="attempt">The attempt number to tag, or 0 for none.</param>
    /// <param name="payload">The event, attached to the span, or null.</param>
    /// <param name="state">What <paramref name="invoke"/> needs, so the lambda can be static.</param>
    /// <param name="invoke">Starts the invocation.</param>
    internal static ValueTask RunInstrumented<TState>(
        string eventName, ListenerInfo listener, ActivityContext parent, int attempt, object? payload, TState state, Func<TState, ValueTask> invoke)
    {
        var previous = Activity.Current;
        var started = Stopwatch.GetTimestamp();
        var activity = Telemetry.StartActivity("process", eventName, ActivityKind.Consumer, parent, payload);
        if (attempt > 0)
        {
            activity?.SetTag("eventrouter.attempt", attempt);
        }
        try
        {
            return InstrumentAsync(eventName, listener.Name, invoke(state), started, activity);
        }
        catch (Exception ex)
        {
            return InstrumentAsync(eventName, listener.Name, ValueTask.FromException(ex), started, activity);
        }
        finally
        {
            // Starting the span made it current for the listener's synchronous part; the caller continues under its own.
            Activity.Current = previous;
        }
    }

    /// <summary>Awaits one invocation and records it. The span was started before the invocation so it parents the listener's own spans.</summary>
    internal static async ValueTask InstrumentAsync(string eventName, string listenerName, ValueTask invocation, long started, Activity? activity)
    {
        activity?.SetTag("eventrouter.listener", listenerName);
        var tags = new TagList
        {
            { "messaging.destination.name", eventName },
            { "eventrouter.listener", listenerName },
        };
        try
        {
            await invocation.ConfigureAwait(false);
            Telemetry.Handled.Add(1, tags);
        }
        catch (Exception ex)
        {
            Telemetry.Failed.Add(1, tags);
            Telemetry.RecordException(activity, ex);
            throw;
        }
        finally
        {
            Telemetry.ListenerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            activity?.Dispose();
        }
    }

    /// <summary>A listener's OperationCanceledException caused by the caller's own token is cancellation, not failure.</summary>
    private static bool IsCallerCancellation(Exception ex, CancellationToken cancellationToken) =>
        ex is OperationCanceledException && cancellationToken.IsCancellationRequested;

    /// <summary>Creates a singleton listener once and stores it in its slot. Called by generated code on first use.</summary>
    /// <remarks>Not inlined: it runs once per listener, and inlined it put its creation code into every publish method.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.NoInlining)]
    protected T InitializeSingleton<T>(ref T? slot, Func<T>? constructor) where T : class
    {
        var created = CreateListener(Services, constructor);
        // Two racing first publishes may both create one; only the first stored instance is ever used.
        return Interlocked.CompareExchange(ref slot, created, null) ?? created;
    }

    /// <summary>
    /// Creates a listener: from <paramref name="services"/> when given (a scope, or the root for singletons), else
    /// from <see cref="EventRouterOptions.ListenerFactory"/>, else through its parameterless constructor.
    /// Called by generated code for scoped and transient listeners.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected T CreateListener<T>(IServiceProvider? services, Func<T>? constructor) where T : class
    {
        if (services?.GetService(typeof(T)) is T resolved)
        {
            return resolved;
        }
        if (Options.ListenerFactory is { } factory)
        {
            return factory(typeof(T)) as T
                ?? throw new InvalidOperationException($"EventRouterOptions.ListenerFactory returned null or a wrong type for listener {typeof(T).FullName}.");
        }
        return constructor is not null
            ? constructor()
            : throw new InvalidOperationException(
                $"Cannot create listener {typeof(T).FullName}: it has no public parameterless constructor. Register it with services.AddEventRouter(), or set EventRouterOptions.ListenerFactory.");
    }

    /// <summary>Throws the exception for a null event. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static ArgumentNullException NullEvent() => new("event", "Cannot publish a null event.");

    /// <summary>The stable name of a type known only at run time: its [Event] name, else its full name.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static string EventNameOf(Type type) =>
        type.GetCustomAttribute<EventAttribute>(inherit: false)?.Name ?? type.FullName ?? type.Name;
}
