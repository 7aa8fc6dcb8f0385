using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;

namespace QuickStart.DependencyInjection;

/// <summary>A user signed up.</summary>
[Event("users.registered")]
public sealed record UserRegistered(string Email);

/// <summary>Numbers the units of work, so the output shows one per publish. A singleton service.</summary>
public sealed class UnitOfWorkCounter
{
    private int _last;

    /// <summary>The next number.</summary>
    public int Next() => Interlocked.Increment(ref _last);
}

/// <summary>A scoped service: one per DI scope, disposed with it. The router opens a scope per publish.</summary>
public sealed class UnitOfWork : IDisposable
{
    /// <summary>Takes the next number.</summary>
    public UnitOfWork(UnitOfWorkCounter counter) => Number = counter.Next();

    /// <summary>Which unit of work this is.</summary>
    public int Number { get; }

    /// <summary>Ends the unit of work.</summary>
    public void Dispose() => SampleOutput.Out.WriteLine($"  unit of work #{Number} disposed with the publish's scope");
}

/// <summary>A scoped listener with a constructor dependency, resolved from the publish's scope.</summary>
[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class WelcomeEmailSender : IEventListener<UserRegistered>
{
    private readonly UnitOfWork _unitOfWork;

    /// <summary>DI passes the scope's unit of work.</summary>
    public WelcomeEmailSender(UnitOfWork unitOfWork) => _unitOfWork = unitOfWork;

    /// <inheritdoc />
    public ValueTask HandleAsync(UserRegistered @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"  welcome email to {@event.Email} in unit of work #{_unitOfWork.Number}");
        return default;
    }
}

/// <summary>A second scoped listener of the same event shares the publish's scope, so the same unit of work.</summary>
[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class WelcomeGiftSender : IEventListener<UserRegistered>
{
    private readonly UnitOfWork _unitOfWork;

    /// <summary>DI passes the scope's unit of work.</summary>
    public WelcomeGiftSender(UnitOfWork unitOfWork) => _unitOfWork = unitOfWork;

    /// <inheritdoc />
    public ValueTask HandleAsync(UserRegistered @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"  welcome gift to {@event.Email} in unit of work #{_unitOfWork.Number}");
        return default;
    }
}
