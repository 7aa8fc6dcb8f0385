using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Durability;
using Npgsql;

namespace EventRouter.PostgreSql;

/// <summary>A PostgreSQL database, reached through an Npgsql data source (its connection pool).</summary>
internal sealed class PostgreSqlBackend : DurableBackend
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;

    public PostgreSqlBackend(NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Target = $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    public override string Name => "PostgreSQL";

    public override string Target { get; }

    public override bool LocksClaimedRows => true;

    public override DurableSql Sql => PostgreSqlSql.Statements;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override bool IsTransient(Exception exception) => exception is NpgsqlException { IsTransient: true };

    public override async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
