using System;
using System.ComponentModel;
using System.Threading;
using EventRouter.Modules;

namespace EventRouter.CompilerServices;

/// <summary>Creates module filter instances for generated clients.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModuleFilterFactory
{
    /// <summary>
    /// Returns the filter in <paramref name="slot"/>, creating it first if needed: from the services the server was
    /// created with (<c>AddModuleServer</c> registers the module's filters as singletons), else through its parameterless
    /// constructor. Called by generated code.
    /// </summary>
    /// <typeparam name="TFilter">The filter class.</typeparam>
    /// <param name="slot">The client's field for this filter.</param>
    /// <param name="server">The module's server.</param>
    /// <param name="constructor">Creates the filter without DI; null when it has no parameterless constructor.</param>
    /// <returns>The one instance this client uses.</returns>
    public static TFilter InitializeSingleton<TFilter>(ref TFilter? slot, ModuleServer server, Func<TFilter>? constructor)
        where TFilter : class, IModuleFilter
    {
        ArgumentNullException.ThrowIfNull(server);
        var created = server.Services?.GetService(typeof(TFilter)) as TFilter
            ?? constructor?.Invoke()
            ?? throw new InvalidOperationException(
                $"Cannot create module filter {typeof(TFilter).FullName} for module server '{server.Name}': it has no public parameterless constructor. "
                + "Register the module with services.AddModuleServer<TModule>() (which registers its filters), or register the filter in the container the server is created with.");
        // Two racing first uses may both create one; only the first stored instance is ever used.
        return Interlocked.CompareExchange(ref slot, created, null) ?? created;
    }
}
