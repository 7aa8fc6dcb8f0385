using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>
/// Listener stubs installed by EventRouter.Testing for one test. Consulted only on the instrumented slow path, which
/// is always taken while a test harness listens, so production publishes never look here.
/// </summary>
internal static class ListenerInterception
{
    private static Stub[] s_stubs = Array.Empty<Stub>();

    /// <summary>Installs a stub for <paramref name="listenerType"/>, active only inside the trace <paramref name="scope"/>.</summary>
    public static IDisposable Install(Type listenerType, ActivityTraceId scope, Func<object, CancellationToken, ValueTask> handler)
    {
        var stub = new Stub(listenerType, scope, handler);
        Update(stubs => [.. stubs, stub]);
        return stub;
    }

    /// <summary>The stub for this listener in the current trace, if a test installed one.</summary>
    public static Func<object, CancellationToken, ValueTask>? Find(Type listenerType)
    {
        var stubs = Volatile.Read(ref s_stubs);
        if (stubs.Length == 0 || Activity.Current is not { } current)
        {
            return null;
        }
        foreach (var stub in stubs)
        {
            if (stub.ListenerType == listenerType && stub.Scope == current.TraceId)
            {
                return stub.Handler;
            }
        }
        return null;
    }

    private static void Update(Func<Stub[], Stub[]> change)
    {
        Stub[] before, after;
        do
        {
            before = Volatile.Read(ref s_stubs);
            after = change(before);
        }
        while (Interlocked.CompareExchange(ref s_stubs, after, before) != before);
    }

    private sealed class Stub(Type listenerType, ActivityTraceId scope, Func<object, CancellationToken, ValueTask> handler) : IDisposable
    {
        public Type ListenerType { get; } = listenerType;

        public ActivityTraceId Scope { get; } = scope;

        public Func<object, CancellationToken, ValueTask> Handler { get; } = handler;

        public void Dispose() => Update(stubs => Array.FindAll(stubs, s => !ReferenceEquals(s, this)));
    }
}
