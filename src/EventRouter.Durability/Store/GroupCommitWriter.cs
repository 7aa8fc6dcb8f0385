using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace EventRouter.Durability;

/// <summary>
/// The store's only writer in this process: concurrent writes queue here and are committed together, as many as are
/// waiting (up to <see cref="DurableStoreOptions.MaxBatchSize"/>) in one transaction — one disk flush for the batch
/// instead of one per write. One writer also means SQLite never sees two writers of this process fight for its lock.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly DurableStore _store;
    private readonly int _maxBatch;
    private readonly Channel<WriteOperation> _queue = Channel.CreateUnbounded<WriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private WriteBatch? _batch; // the writer's connection and prepared statements; dropped after any failure
    private long _commits;
    private int _queued;
    private volatile TaskCompletionSource? _paused; // tests: hold the writer so that writes pile up into one batch

    public GroupCommitWriter(DurableStore store, int maxBatch)
    {
        _store = store;
        _maxBatch = maxBatch;
        _loop = Task.Run(RunAsync); // waits for the first write; opens nothing until then
    }

    /// <summary>The number of transactions committed so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>The number of writes waiting for a commit.</summary>
    internal int Queued => Volatile.Read(ref _queued);

    /// <summary>Queues a write; the task completes when it is committed, or fails with a <see cref="DurableStoreException"/>.</summary>
    public Task<long> WriteAsync(WriteOperation operation)
    {
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(operation))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(nameof(DurableStore));
        }
        return operation.Task;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var pending = new List<WriteOperation>(_maxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_paused is { } paused)
            {
                await paused.Task.ConfigureAwait(false);
            }
            while (pending.Count < _maxBatch && reader.TryRead(out var operation))
            {
                pending.Add(operation);
                Interlocked.Decrement(ref _queued);
            }
            try
            {
                await CommitAsync(pending).ConfigureAwait(false);
            }
            catch (Exception ex) when (pending.Count > 1 && !_store.Backend.IsTransient(ex))
            {
                // One bad write must not fail the others that shared its transaction: commit each alone.
                foreach (var operation in pending)
                {
                    var single = new List<WriteOperation>(1) { operation };
                    try
                    {
                        await CommitAsync(single).ConfigureAwait(false);
                    }
                    catch (Exception one)
                    {
                        operation.TrySetException(_store.Failure(one, "write"));
                    }
                }
            }
            catch (Exception ex)
            {
                var failure = _store.Failure(ex, "write");
                foreach (var operation in pending)
                {
                    operation.TrySetException(failure);
                }
            }
            pending.Clear();
        }
    }

    private async Task CommitAsync(List<WriteOperation> operations)
    {
        var results = new long[operations.Count];
        try
        {
            await _store.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
            _batch ??= new WriteBatch(await _store.Backend.OpenAsync(CancellationToken.None).ConfigureAwait(false));
            await using (var transaction = await _store.Backend.BeginWriteAsync(_batch.Connection, CancellationToken.None).ConfigureAwait(false))
            {
                _batch.Transaction = transaction;
                for (var i = 0; i < operations.Count; i++)
                {
                    results[i] = await operations[i].ExecuteAsync(_batch, CancellationToken.None).ConfigureAwait(false);
                }
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            _batch.Transaction = null;
            DurabilityTelemetry.BatchSize.Record(operations.Count, new KeyValuePair<string, object?>("eventrouter.instance", _store.Options.InstanceName));
        }
        catch
        {
            // The connection may be broken or mid-transaction: start the next batch on a fresh one.
            if (_batch is { } broken)
            {
                _batch = null;
                try
                {
                    await broken.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Closing a broken connection may throw; it is gone either way.
                }
            }
            throw;
        }
        Interlocked.Increment(ref _commits);
        for (var i = 0; i < operations.Count; i++)
        {
            operations[i].TrySetResult(results[i]);
        }
    }

    /// <summary>Holds the writer until the returned object is disposed (for tests of batching).</summary>
    internal IDisposable Pause()
    {
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _paused = paused;
        return new Resume(this, paused);
    }

    private sealed class Resume(GroupCommitWriter writer, TaskCompletionSource paused) : IDisposable
    {
        public void Dispose()
        {
            writer._paused = null;
            paused.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        if (_batch is { } batch)
        {
            _batch = null;
            await batch.DisposeAsync().ConfigureAwait(false);
        }
    }
}
