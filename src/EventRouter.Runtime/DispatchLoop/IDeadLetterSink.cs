using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.DispatchLoop;

/// <summary>Receives dead letters: deliveries that failed their last attempt. Store them to inspect or replay them.</summary>
public interface IDeadLetterSink
{
    /// <summary>Stores one dead letter. A sink that throws is logged; the loop carries on.</summary>
    /// <param name="deadLetter">The failed delivery.</param>
    /// <param name="cancellationToken">Cancelled when the loop is forced to stop.</param>
    ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken);
}
