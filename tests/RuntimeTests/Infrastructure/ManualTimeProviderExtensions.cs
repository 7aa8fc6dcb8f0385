using System.Threading.Tasks;
using EventRouter.Testing;

namespace EventRouter.Tests.Infrastructure;

/// <summary>
/// The one fake clock of the test projects is the shipped <see cref="ManualTimeProvider"/> (what users test with);
/// this adds the wait the tests need before they move it.
/// </summary>
internal static class ManualTimeProviderExtensions
{
    /// <summary>Waits until at least <paramref name="count"/> timers are armed on <paramref name="time"/> (a retry backoff, a delivery timeout).</summary>
    public static Task WaitForArmedTimersAsync(this ManualTimeProvider time, int count = 1) =>
        Eventually.WaitUntilAsync(() => time.ActiveTimers >= count, $"{count} armed timer(s)");
}
