using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Durability;

/// <summary>
/// One write waiting for a group commit. It completes (with the value its statement returned, such as a new row's
/// id) only after the transaction that holds it committed; callers' continuations never run on the writer.
/// </summary>
internal abstract class WriteOperation() : TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    /// <summary>Runs the statement inside the batch's transaction.</summary>
    public abstract ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken);
}

/// <summary>The connection and transaction of one group commit, with its statements prepared once per connection.</summary>
internal sealed class WriteBatch(DbConnection connection)
{
    private readonly Dictionary<string, DbCommand> _commands = new(System.StringComparer.Ordinal);

    public DbConnection Connection { get; } = connection;

    public DbTransaction? Transaction { get; set; }

    /// <summary>The cached command for <paramref name="sql"/>, enlisted in the current transaction.</summary>
    public DbCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Db.Command(Connection, null, sql);
            _commands.Add(sql, command);
        }
        command.Transaction = Transaction;
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
        _commands.Clear();
        await Connection.DisposeAsync().ConfigureAwait(false);
    }
}
