// Listener classes for the publish benchmarks. Each listener does the same tiny piece of work (a field increment)
// in every variant, so the numbers compare dispatch overhead, not listener work. Written out one class per
// listener on purpose: distinct classes make call sites as polymorphic as in an application.
using System.Threading;
using System.Threading.Tasks;
using MediatR;

namespace EventRouter.Benchmarks;

/// <summary>The event of the 1-listener cases.</summary>
public sealed class Ping1 : INotification
{
    public int Value;
}

/// <summary>The event of the 10-listener cases.</summary>
public sealed class Ping10 : INotification
{
    public int Value;
}

/// <summary>Polymorphic case: listeners of an interface and of an abstract base receive it, resolved at compile time.</summary>
public interface IAuditable
{
}

/// <summary>Base of the polymorphic event.</summary>
public abstract class ShipmentEvent
{
    public int Value;
}

/// <summary>The polymorphic event: 4 listeners of <see cref="IAuditable"/>, 3 of <see cref="ShipmentEvent"/>, 3 of itself.</summary>
public sealed class ParcelShipped : ShipmentEvent, IAuditable
{
}

/// <summary>The event of the scoped-DI case.</summary>
public sealed class ScopedPing
{
    public int Value;
}

/// <summary>The event of the case whose listeners really await (Task.Yield).</summary>
public sealed class YieldPing
{
    public int Value;
}

[EventListener]
public sealed class P1Listener : IEventListener<Ping1>
{
    public int Count;

    public ValueTask HandleAsync(Ping1 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener0 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener1 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener2 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener3 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener4 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener5 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener6 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener7 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener8 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class P10Listener9 : IEventListener<Ping10>
{
    public int Count;

    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class AuditListener0 : IEventListener<IAuditable>
{
    public int Count;

    public ValueTask HandleAsync(IAuditable @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class AuditListener1 : IEventListener<IAuditable>
{
    public int Count;

    public ValueTask HandleAsync(IAuditable @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class AuditListener2 : IEventListener<IAuditable>
{
    public int Count;

    public ValueTask HandleAsync(IAuditable @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class AuditListener3 : IEventListener<IAuditable>
{
    public int Count;

    public ValueTask HandleAsync(IAuditable @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class ShipmentListener0 : IEventListener<ShipmentEvent>
{
    public int Count;

    public ValueTask HandleAsync(ShipmentEvent @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class ShipmentListener1 : IEventListener<ShipmentEvent>
{
    public int Count;

    public ValueTask HandleAsync(ShipmentEvent @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class ShipmentListener2 : IEventListener<ShipmentEvent>
{
    public int Count;

    public ValueTask HandleAsync(ShipmentEvent @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class ParcelListener0 : IEventListener<ParcelShipped>
{
    public int Count;

    public ValueTask HandleAsync(ParcelShipped @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class ParcelListener1 : IEventListener<ParcelShipped>
{
    public int Count;

    public ValueTask HandleAsync(ParcelShipped @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class ParcelListener2 : IEventListener<ParcelShipped>
{
    public int Count;

    public ValueTask HandleAsync(ParcelShipped @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class ScopedListener : IEventListener<ScopedPing>
{
    public int Count;

    public ValueTask HandleAsync(ScopedPing @event, CancellationToken cancellationToken)
    {
        Count++;
        return default;
    }
}

[EventListener]
public sealed class YieldListener0 : IEventListener<YieldPing>
{
    public int Count;

    public async ValueTask HandleAsync(YieldPing @event, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Count++;
    }
}

[EventListener]
public sealed class YieldListener1 : IEventListener<YieldPing>
{
    public int Count;

    public async ValueTask HandleAsync(YieldPing @event, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Count++;
    }
}

[EventListener]
public sealed class YieldListener2 : IEventListener<YieldPing>
{
    public int Count;

    public async ValueTask HandleAsync(YieldPing @event, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Count++;
    }
}

// MediatR 5.1.0 handlers: the same work, MediatR's Task-returning interface.

public sealed class MediatRPing1Handler : INotificationHandler<Ping1>
{
    public int Count;

    public Task Handle(Ping1 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler0 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler1 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler2 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler3 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler4 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler5 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler6 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler7 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler8 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

public sealed class MediatRPing10Handler9 : INotificationHandler<Ping10>
{
    public int Count;

    public Task Handle(Ping10 notification, CancellationToken cancellationToken)
    {
        Count++;
        return Task.CompletedTask;
    }
}

// The locked-list baseline's listeners: each receives the event as object and type-tests it.

/// <summary>The locked-list baseline's listener: one handle method taking every event as <c>object</c>.</summary>
public interface IObjectListener
{
    Task HandleAsync(object @event);
}

public sealed class ObjectListener0 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener1 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener2 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener3 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener4 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener5 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener6 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener7 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener8 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}

public sealed class ObjectListener9 : IObjectListener
{
    public int Count;

    public Task HandleAsync(object @event)
    {
        if (@event is Ping10 or Ping1)
        {
            Count++;
        }
        return Task.CompletedTask;
    }
}
