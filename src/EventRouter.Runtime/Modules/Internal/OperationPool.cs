using System;
using System.Collections.Concurrent;

namespace EventRouter.Modules;

/// <summary>
/// A pool of operation objects of one closed type: a one-item cache per thread (the usual case for requests: the
/// caller that rented an operation returns it) and a shared queue (commands: rented by senders, returned by the
/// module's loop). Neither allocates in steady state. The pool never holds more operations than were in flight at
/// the busiest moment, which the queue capacity and the number of concurrent callers bound, so it needs no counter.
/// </summary>
internal static class OperationPool<T> where T : class
{
    [ThreadStatic]
    private static T? t_cached;

    private static readonly ConcurrentQueue<T> s_shared = new();

    public static T? TryRent()
    {
        var item = t_cached;
        if (item is not null)
        {
            t_cached = null;
            return item;
        }
        return s_shared.TryDequeue(out item) ? item : null;
    }

    public static void Return(T item)
    {
        if (t_cached is null)
        {
            t_cached = item;
            return;
        }
        s_shared.Enqueue(item);
    }
}
