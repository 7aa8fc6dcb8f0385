using System;
using Microsoft.Extensions.Configuration;

namespace EventRouter.Durability;

/// <summary>
/// The settings of <see cref="DurableStoreOptions"/> that configuration can hold. Bound on its own (not the options
/// type itself, whose JSON context, event types, clock and logger factory are objects) and applied over the options:
/// a key that is absent leaves the option as it is.
/// </summary>
internal sealed class DurableStoreConfiguration
{
    public string? InstanceName { get; set; }
    public TimeSpan? InboxRetention { get; set; }
    public TimeSpan? SentOutboxRetention { get; set; }
    public TimeSpan? CleanupInterval { get; set; }
    public int? MaxBatchSize { get; set; }

    internal static void Apply(IConfiguration section, DurableStoreOptions options)
    {
        var read = section.Get<DurableStoreConfiguration>();
        if (read is null)
        {
            return;
        }
        options.InstanceName = read.InstanceName ?? options.InstanceName;
        options.InboxRetention = read.InboxRetention ?? options.InboxRetention;
        options.SentOutboxRetention = read.SentOutboxRetention ?? options.SentOutboxRetention;
        options.CleanupInterval = read.CleanupInterval ?? options.CleanupInterval;
        options.MaxBatchSize = read.MaxBatchSize ?? options.MaxBatchSize;
    }
}
