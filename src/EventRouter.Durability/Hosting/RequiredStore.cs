using System;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Durability;

/// <summary>Resolves the store that the durable registrations build on, naming the missing call when it is absent.</summary>
internal static class RequiredStore
{
    /// <summary>The store registered by <c>AddSqliteStore</c> or <c>AddPostgreSqlStore</c>.</summary>
    /// <param name="provider">The container.</param>
    /// <param name="requiredBy">What needs it, as the user registered it (for example <c>AddDurableDispatchLoop()</c>).</param>
    /// <exception cref="InvalidOperationException">No store was registered.</exception>
    internal static DurableStore Get(IServiceProvider provider, string requiredBy) =>
        provider.GetService<DurableStore>() ?? throw new InvalidOperationException(string.Format(
            CultureInfo.InvariantCulture,
            "{0} needs a durable store, and none is registered: call services.AddSqliteStore(...) (EventRouter.Sqlite) or services.AddPostgreSqlStore(...) (EventRouter.PostgreSql) as well.",
            requiredBy));
}
