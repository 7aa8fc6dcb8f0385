using System;

namespace EventRouter.Durability;

/// <summary>
/// The durable store could not do what was asked: the database is unreachable, locked for longer than its timeout,
/// full, or failed. The operation did not take effect (an enqueue was not accepted, a completion not recorded); the
/// <see cref="Exception.InnerException"/> is the database's own error.
/// </summary>
public sealed class DurableStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, and where.</param>
    /// <param name="innerException">The database's error.</param>
    public DurableStoreException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the failure may go away by itself (busy, locked, or the server unreachable): retrying later can succeed.</summary>
    public bool IsTransient { get; init; }
}
