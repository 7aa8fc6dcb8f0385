using System;
using Microsoft.Extensions.Logging;

namespace EventRouter.Durability;

/// <summary>The durable store's log messages, event ids 6000-6099.</summary>
internal static partial class DurabilityLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "The {Store} migrated its schema from version {From} to {To}.")]
    public static partial void SchemaMigrated(ILogger logger, string store, int from, int to);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "The {Store} could not open its schema.")]
    public static partial void SchemaFailed(ILogger logger, Exception exception, string store);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "The outbox relay of the {Store} failed; trying again in {Delay}.")]
    public static partial void RelayFailed(ILogger logger, Exception exception, string store, TimeSpan delay);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Error, Message = "Outbox event '{EventName}' (row {Row}) cannot be read back; it was moved to the dead-letter table.")]
    public static partial void OutboxUnreadable(ILogger logger, Exception exception, string eventName, long row);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Error, Message = "Dispatch loop journal entry {Entry} of event '{EventName}' cannot be read back; it was moved to the dead-letter table.")]
    public static partial void JournalUnreadable(ILogger logger, Exception exception, string eventName, long entry);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The {Store} could not clean up; it tries again at the next interval.")]
    public static partial void CleanupFailed(ILogger logger, Exception exception, string store);
}
