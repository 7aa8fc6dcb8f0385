using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;

namespace QuickStart.FaultIsolation;

/// <summary>A payment went through; three listeners react, and one of them is broken.</summary>
[Event("payments.captured")]
public sealed record PaymentCaptured(string PaymentId, decimal Amount);

/// <summary>Runs first (listeners run in ordinal order of their full type names).</summary>
[EventListener]
public sealed class EmailReceipt : IEventListener<PaymentCaptured>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(PaymentCaptured @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"  receipt: emailed receipt for {@event.PaymentId}");
        return default;
    }
}

/// <summary>Fails: its exception does not stop the listener after it.</summary>
[EventListener]
public sealed class LedgerWriter : IEventListener<PaymentCaptured>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(PaymentCaptured @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"  ledger: writing {@event.PaymentId}...");
        throw new InvalidOperationException("the ledger database is offline");
    }
}

/// <summary>Runs after the failing listener, and awaits something: still runs, still awaited.</summary>
[EventListener]
public sealed class LoyaltyPoints : IEventListener<PaymentCaptured>
{
    /// <inheritdoc />
    public async ValueTask HandleAsync(PaymentCaptured @event, CancellationToken cancellationToken)
    {
        await Task.Yield(); // stands for real I/O
        SampleOutput.Out.WriteLine(FormattableString.Invariant($"  loyalty: {(int)@event.Amount} points for {@event.PaymentId}"));
    }
}
