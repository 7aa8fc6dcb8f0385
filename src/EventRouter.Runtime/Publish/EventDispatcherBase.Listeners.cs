using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter;

public abstract partial class EventDispatcherBase
{
    /// <summary>Creates a singleton listener once and stores it in its slot. Called by generated code on first use.</summary>
    /// <remarks>Not inlined: it runs once per listener, and inlined it put its creation code into every publish method.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.NoInlining)]
    protected T InitializeSingleton<T>(ref T? slot, Func<T>? constructor) where T : class
    {
        var created = CreateListener(Services, constructor);
        // Two racing first publishes may both create one; only the first stored instance is ever used.
        return Interlocked.CompareExchange(ref slot, created, null) ?? created;
    }

    /// <summary>
    /// <see cref="InitializeSingleton{T}(ref T, Func{T})"/> for a listener with a public parameterless constructor, so
    /// generated code needs no lambda of its own per listener. Called by generated code on first use.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.NoInlining)]
    protected T InitializeSingleton<T>(ref T? slot) where T : class, new() => InitializeSingleton(ref slot, Constructor<T>.New);

    /// <summary>
    /// <see cref="CreateListener{T}(IServiceProvider, Func{T})"/> for a listener with a public parameterless
    /// constructor. Called by generated code for scoped and transient listeners.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected T CreateListener<T>(IServiceProvider? services) where T : class, new() => CreateListener(services, Constructor<T>.New);

    /// <summary>
    /// Creates a listener: from <paramref name="services"/> when given (a scope, or the root for singletons), else
    /// from <see cref="EventRouterOptions.ListenerFactory"/>, else through its parameterless constructor.
    /// Called by generated code for scoped and transient listeners.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected T CreateListener<T>(IServiceProvider? services, Func<T>? constructor) where T : class
    {
        if (services?.GetService(typeof(T)) is T resolved)
        {
            return resolved;
        }
        if (Options.ListenerFactory is { } factory)
        {
            return factory(typeof(T)) as T
                ?? throw new InvalidOperationException($"EventRouterOptions.ListenerFactory returned null or a wrong type for listener {typeof(T).FullName}.");
        }
        return constructor is not null
            ? constructor()
            : throw new InvalidOperationException(
                $"Cannot create listener {typeof(T).FullName}: it has no public parameterless constructor. Register it with services.AddEventRouter(), or set EventRouterOptions.ListenerFactory.");
    }
    /// <summary>One cached constructor delegate per listener type, created once.</summary>
    private static class Constructor<T> where T : new()
    {
        public static readonly Func<T> New = static () => new T();
    }
}
