using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter;

public abstract partial class EventDispatcherBase
{
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
            : ContinueSequentialCoreAsync(route, @event, null, default, -1, cancellationToken);
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
            await ContinueSequentialCoreAsync(route, @event, scope.ServiceProvider, default, -1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The sequential slow path: awaits the listener at <paramref name="pendingIndex"/> (which did not complete
    /// synchronously, or failed), then runs the rest in order, collecting failures. Called by generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask ContinueSequentialAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, IServiceProvider? services, ValueTask pending, int pendingIndex, CancellationToken cancellationToken)
    {
        // The last listener still running, nothing failed or was skipped before it, no subscriber after it: only its
        // outcome is left to wait for, which needs no state machine (the common case of one asynchronous listener).
        if (pendingIndex >= 0 && pendingIndex == route.ListenerCount - 1 && !pending.IsCompleted && route.Subscribers is null)
        {
            return LastListenerCompletion.Await(route, pending, pendingIndex, cancellationToken);
        }
        return ContinueSequentialCoreAsync(route, @event, services, pending, pendingIndex, cancellationToken);
    }

    private async ValueTask ContinueSequentialCoreAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, IServiceProvider? services, ValueTask pending, int pendingIndex, CancellationToken cancellationToken)
    {
        List<ListenerFailure>? failures = null;
        var cancelled = false;
        var listeners = route.Listeners;
        if (pendingIndex >= 0)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                cancelled |= Collect(ex, listeners[pendingIndex], cancellationToken, ref failures);
            }
        }

        for (var i = pendingIndex + 1; i < listeners.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true; // the rest are skipped
                break;
            }
            try
            {
                await InvokeListenerAsync(route, @event, i, services, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                cancelled |= Collect(ex, listeners[i], cancellationToken, ref failures);
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
                    cancelled = true;
                    break;
                }
                try
                {
                    await InvokeSubscriberAsync(route, subscriber, boxed, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    cancelled |= Collect(ex, subscriber.Info, cancellationToken, ref failures);
                }
            }
        }

        // Failures are never hidden by a cancellation: they win over OperationCanceledException. A publish is
        // cancelled only when the cancellation cost something (a listener skipped or stopped by it), as on the
        // generated fast path, which does not check the token after the last listener.
        if (failures is not null)
        {
            throw new EventPublishException(route.EventName, failures);
        }
        if (cancelled)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// The sequential slow path after listener <paramref name="index"/> threw synchronously: records the failure and
    /// runs the rest. Called from the generated fast path's catch blocks, which then hold no ValueTask temporary.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask ContinueAfterThrowAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, Exception exception, int index, CancellationToken cancellationToken) =>
        ContinueSequentialCoreAsync(route, @event, null, ValueTask.FromException(exception), index, cancellationToken);

    private static async ValueTask RunConcurrentAsync<TEvent>(
        EventRoute<TEvent> route, TEvent @event, IServiceProvider? services, CancellationToken cancellationToken)
    {
        // A publish whose token is cancelled before it starts runs nothing, as in sequential mode.
        cancellationToken.ThrowIfCancellationRequested();
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
        var cancelled = false;
        for (var i = 0; i < pending.Length; i++)
        {
            try
            {
                await pending[i].ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                cancelled |= Collect(ex, i < listeners.Count ? listeners[i] : subscribers[i - listeners.Count].Info, cancellationToken, ref failures);
            }
        }
        if (failures is not null)
        {
            throw new EventPublishException(route.EventName, failures);
        }
        if (cancelled)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
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

    /// <summary>
    /// Records a listener's exception as a failure unless it is the caller's cancellation. Every exception is caught
    /// here, so the remaining listeners still run (or are still awaited) and a failure is never lost behind it.
    /// </summary>
    /// <returns>True when the exception is the caller's cancellation.</returns>
    private static bool Collect(Exception ex, ListenerInfo listener, CancellationToken cancellationToken, ref List<ListenerFailure>? failures)
    {
        if (IsCallerCancellation(ex, cancellationToken))
        {
            return true;
        }
        (failures ??= new()).Add(new ListenerFailure(listener, ex));
        return false;
    }

    /// <summary>
    /// An OperationCanceledException is the caller's cancellation only when it carries the caller's token and that
    /// token is cancelled. Any other one (the listener's own timeout, a token the caller never passed) is a failure,
    /// whatever state the caller's token is in.
    /// </summary>
    internal static bool IsCallerCancellation(Exception ex, CancellationToken cancellationToken) =>
        ex is OperationCanceledException oce && cancellationToken.IsCancellationRequested && oce.CancellationToken == cancellationToken;
}
