using System;
using System.Data.Common;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using EventRouter.PostgreSql;
using EventRouter.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace EventRouter.Durability.Tests.Infrastructure;

/// <summary>A fresh, empty database for one test, on one backend; dropped when disposed.</summary>
public abstract class TestDatabase : IAsyncDisposable
{
    /// <summary>"SQLite" or "PostgreSQL".</summary>
    public abstract string Backend { get; }

    /// <summary>The connection string of this database.</summary>
    public abstract string ConnectionString { get; }

    /// <summary>A store over this database.</summary>
    public abstract DurableStore CreateStore(DurableStoreOptions? options = null);

    /// <summary>An application's own connection to this database, open.</summary>
    public abstract Task<DbConnection> OpenAsync();

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public abstract ValueTask DisposeAsync();

    public override string ToString() => Backend;
}

/// <summary>A SQLite file in its own temporary folder.</summary>
public sealed class SqliteTestDatabase : TestDatabase
{
    private readonly string _folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "er-durability-" + Guid.NewGuid().ToString("N"));

    public SqliteTestDatabase()
    {
        Directory.CreateDirectory(_folder);
        Path = System.IO.Path.Combine(_folder, "store.db");
        ConnectionString = $"Data Source={Path}";
    }

    public string Path { get; }

    public override string Backend => "SQLite";

    public override string ConnectionString { get; }

    public override DurableStore CreateStore(DurableStoreOptions? options = null) => SqliteStore.Create(ConnectionString, options);

    public override async Task<DbConnection> OpenAsync()
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A connection a failed test left open; the temporary folder goes with the machine.
        }
        return default;
    }
}

/// <summary>A database of its own on the test PostgreSQL server (scripts/services/postgres.sh).</summary>
public sealed class PostgresTestDatabase : TestDatabase
{
    private readonly string _name;

    private PostgresTestDatabase(string name, string connectionString)
    {
        _name = name;
        ConnectionString = connectionString;
    }

    public override string Backend => "PostgreSQL";

    public override string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var admin = await PostgresServer.ConnectionStringAsync();
        var name = "er_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new PostgresTestDatabase(name, builder.ToString());
    }

    public override DurableStore CreateStore(DurableStoreOptions? options = null) => PostgreSqlStore.Create(ConnectionString, options);

    public override async Task<DbConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(await PostgresServer.ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// The test PostgreSQL server: ER_POSTGRES_CONNECTION_STRING, else the connection-string file that
/// scripts/services/postgres.sh writes (in ER_POSTGRES_DIR, default /tmp/eventrouter-postgres); when neither is
/// there, the script is run once to start the server.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<Task<string>> s_connectionString = new(() =>
        TestService.AddressAsync("ER_POSTGRES_CONNECTION_STRING", "ER_POSTGRES_DIR", "/tmp/eventrouter-postgres", "connection-string", "postgres.sh"));

    public static Task<string> ConnectionStringAsync() => s_connectionString.Value;
}

/// <summary>
/// The test RabbitMQ node: ER_RABBITMQ_URI, else the uri file that scripts/services/rabbitmq.sh writes (in
/// ER_RABBITMQ_DIR, default /tmp/eventrouter-rabbitmq); when neither is there, the script is run once to start it.
/// </summary>
public static class BrokerServer
{
    private static readonly Lazy<Task<string>> s_uri = new(() =>
        TestService.AddressAsync("ER_RABBITMQ_URI", "ER_RABBITMQ_DIR", "/tmp/eventrouter-rabbitmq", "uri", "rabbitmq.sh"));

    public static Task<string> UriAsync() => s_uri.Value;
}

/// <summary>Finds a service of scripts/services by the file its script writes, starting it when that file is missing.</summary>
public static class TestService
{
    public static async Task<string> AddressAsync(string variable, string dirVariable, string defaultDir, string fileName, string scriptName)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }
        var dir = Environment.GetEnvironmentVariable(dirVariable) is { Length: > 0 } d ? d : defaultDir;
        var file = System.IO.Path.Combine(dir, fileName);
        if (!File.Exists(file))
        {
            var script = System.IO.Path.Combine(Repository.Root, "scripts", "services", scriptName);
            using var process = Process.Start(new ProcessStartInfo("bash", [script, "start"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (process.ExitCode != 0 || !File.Exists(file))
            {
                throw new InvalidOperationException($"The test service is not running and {script} could not start it:\n{output}");
            }
        }
        return (await File.ReadAllTextAsync(file)).Trim();
    }
}
