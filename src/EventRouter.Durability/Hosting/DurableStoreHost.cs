using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Durability;

/// <summary>
/// Runs a store with the host: creates or migrates its schema at start (a database that is down, or a schema from
/// a newer version, fails the host's start with the store's error) and cleans up on
/// <see cref="DurableStoreOptions.CleanupInterval"/>.
/// </summary>
internal sealed class DurableStoreHost(DurableStore store) : IHostedService
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _cleanup;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        _cleanup = CleanupLoopAsync(_stop.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_cleanup is not null)
        {
            await _cleanup.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CleanupLoopAsync(CancellationToken stop)
    {
        while (true)
        {
            try
            {
                await Task.Delay(store.Options.CleanupInterval, store.Time, stop).ConfigureAwait(false);
                await store.CleanupAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                DurabilityLog.CleanupFailed(store.Logger, ex, store.ToString());
            }
        }
    }
}
