using System;
using System.Collections.Concurrent;
using System.Threading;

namespace EventRouter.Modules;

/// <summary>
/// A small pool of operation objects of one closed type: a one-item cache per thread (the usual case: the caller
/// that rented an operation returns it) and a bounded shared queue. Neither allocates in steady state.
/// </summary>
internal static class OperationPool<T> where T : class
{
    private const int MaxShared = 4096;

    [ThreadStatic]
    private static T? t_cached;

    private static readonly ConcurrentQueue<T> s_shared = new();
    private static int s_sharedCount;

    public static T? TryRent()
    {
        var item = t_cached;
        if (item is not null)
        {
            t_cached = null;
            return item;
        }
        if (s_shared.TryDequeue(out item))
        {
            Interlocked.Decrement(ref s_sharedCount);
            return item;
        }
        return null;
    }

    public static void Return(T item)
    {
        if (t_cached is null)
        {
            t_cached = item;
            return;
        }
        if (Interlocked.Increment(ref s_sharedCount) <= MaxShared)
        {
            s_shared.Enqueue(item);
        }
        else
        {
            Interlocked.Decrement(ref s_sharedCount);
        }
    }
}
