using System;
using System.Collections.Generic;
using Microsoft.Extensions.Configuration;

namespace EventRouter.RabbitMQ;

/// <summary>
/// The settings of <see cref="RabbitMQOptions"/> that configuration can hold. Bound on its own (not the options type
/// itself, whose JSON context and idempotency store are services) and applied over the options: a key that is absent
/// leaves the option as it is.
/// </summary>
internal sealed class RabbitMQConfiguration
{
    public string? ConnectionString { get; set; }
    public string? ServiceName { get; set; }
    public ushort? PrefetchCount { get; set; }
    public ushort? ConsumerConcurrency { get; set; }
    public int? ImmediateAttempts { get; set; }
    public TimeSpan? ImmediateRetryDelay { get; set; }
    public List<TimeSpan>? DelayedRetries { get; set; }
    public TimeSpan? PublishTimeout { get; set; }
    public TimeSpan? NetworkRecoveryInterval { get; set; }
    public bool? Consume { get; set; }
    public TimeSpan? ModuleRequestTimeout { get; set; }
    public ushort? ModulePrefetchCount { get; set; }
    public int? MaxMessageSize { get; set; }
    public List<string>? Events { get; set; }

    internal static void Apply(IConfiguration section, RabbitMQOptions options)
    {
        var read = section.Get<RabbitMQConfiguration>();
        if (read is null)
        {
            return;
        }
        options.ConnectionString = read.ConnectionString ?? options.ConnectionString;
        options.ServiceName = read.ServiceName ?? options.ServiceName;
        options.PrefetchCount = read.PrefetchCount ?? options.PrefetchCount;
        options.ConsumerConcurrency = read.ConsumerConcurrency ?? options.ConsumerConcurrency;
        options.ImmediateAttempts = read.ImmediateAttempts ?? options.ImmediateAttempts;
        options.ImmediateRetryDelay = read.ImmediateRetryDelay ?? options.ImmediateRetryDelay;
        options.PublishTimeout = read.PublishTimeout ?? options.PublishTimeout;
        options.NetworkRecoveryInterval = read.NetworkRecoveryInterval ?? options.NetworkRecoveryInterval;
        options.Consume = read.Consume ?? options.Consume;
        options.ModuleRequestTimeout = read.ModuleRequestTimeout ?? options.ModuleRequestTimeout;
        options.ModulePrefetchCount = read.ModulePrefetchCount ?? options.ModulePrefetchCount;
        options.MaxMessageSize = read.MaxMessageSize ?? options.MaxMessageSize;
        if (read.DelayedRetries is { } delays)
        {
            options.DelayedRetries.Clear();
            foreach (var delay in delays)
            {
                options.DelayedRetries.Add(delay);
            }
        }
        if (read.Events is { Count: > 0 } events)
        {
            options.CrossBroker(events.ToArray());
        }
    }
}
