using System.Threading.Tasks;

namespace EventRouter.Durability.Tests.Infrastructure;

/// <summary>
/// A test class that runs on every backend: it is abstract, and each backend derives it once (see
/// <see cref="SqliteTestDatabase"/>, <see cref="PostgresTestDatabase"/>). Every test gets a fresh database.
/// </summary>
public abstract class BackendTests : IAsyncLifetime
{
    private TestDatabase? _database;

    protected TestDatabase Database => _database!;

    protected abstract Task<TestDatabase> CreateDatabaseAsync();

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
