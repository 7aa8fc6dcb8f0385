using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace EventRouter.Tests.Infrastructure;

/// <summary>
/// The one poller of the test projects: waits until a condition holds. The timeout only turns a hang into a readable
/// failure (it names what was awaited); it is never a timing assertion.
/// </summary>
internal static class Eventually
{
    /// <summary>The hang guard when a test names none.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Polls <paramref name="condition"/> every <paramref name="pollEvery"/> (default 2 ms) until it is true; throws a
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/>.
    /// </summary>
    public static Task WaitUntilAsync(
        Func<bool> condition,
        [CallerArgumentExpression(nameof(condition))] string what = "",
        TimeSpan? timeout = null,
        TimeSpan? pollEvery = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout, pollEvery);

    /// <summary>The same for a condition that must be awaited (each check is bounded by the timeout too).</summary>
    public static async Task WaitUntilAsync(
        Func<Task<bool>> condition,
        [CallerArgumentExpression(nameof(condition))] string what = "",
        TimeSpan? timeout = null,
        TimeSpan? pollEvery = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition().WaitAsync(limit))
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for: {what}");
            }
            await Task.Delay(pollEvery ?? TimeSpan.FromMilliseconds(2));
        }
    }
}
