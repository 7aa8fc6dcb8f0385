using System;
using System.Threading.Tasks;

namespace EventRouter.Tests.Infrastructure;

/// <summary>Helpers for module servers that run a request inline on the caller's thread when idle.</summary>
internal static class InlineRequests
{
    /// <summary>The result of a ValueTask the test already knows completed synchronously.</summary>
    public static T CompletedResult<T>(ValueTask<T> completed) => completed.Result;

    /// <summary>
    /// The loop captures the module's context when it starts, and inline runs wait for it: sends probe requests until
    /// one completes synchronously (each bounded by a hang guard).
    /// </summary>
    public static async Task WaitUntilInlineReadyAsync<T>(Func<ValueTask<T>> probe)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var pending = probe();
            if (pending.IsCompletedSuccessfully)
            {
                return;
            }
            await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        }
        Assert.Fail("The module never ran a request inline.");
    }

    /// <summary>
    /// Sends 200 warm-up requests, then 1000 that must each complete synchronously (inline), and returns what the
    /// 1000 allocated on this thread and the sum of their results.
    /// </summary>
    public static (long Allocated, int Total) MeasureInline(Func<int, ValueTask<int>> request)
    {
        var total = 0;
        var allocated = Allocations.OnThisThread(
            i =>
            {
                var pending = request(i);
                Assert.True(pending.IsCompletedSuccessfully);
                total += CompletedResult(pending);
            },
            warmUps: 200,
            warmUp: i => _ = CompletedResult(request(i)));
        return (allocated, total);
    }
}
