using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace EventRouter.Durability.Tests.Infrastructure;

/// <summary>The crash tests' process runner itself: a child that finishes at once is still seen to have been ready.</summary>
public sealed class CrashChildTests
{
    [Fact]
    public async Task AChildThatPrintsReadyAndExitsAtOnce_IsSeenReady_EveryTime()
    {
        // A drain run that finds nothing left prints READY, its reports and DONE, and exits within a millisecond: its
        // exit must not be mistaken for an exit before READY (the output events of an exited child can still be
        // running when its exit is observed).
        for (var run = 0; run < 200; run++)
        {
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("echo READY; echo PUBLISHED 1; echo PUBLISHED 2; echo DONE");

            var reported = await CrashChild.RunAsync(start, killAfter: null, $"run {run}");

            Assert.Equal([1, 2], reported);
        }
    }

    [Fact]
    public async Task AChildThatExitsBeforeReady_FailsWithItsExitCodeAndOutput()
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("echo starting; echo broken >&2; exit 3");

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => CrashChild.RunAsync(start, killAfter: TimeSpan.Zero, "early exit"));

        Assert.Contains("exited before it was ready", failure.Message);
        Assert.Contains("exit code 3", failure.Message);
        Assert.Contains("starting", failure.Message);
        Assert.Contains("broken", failure.Message);
    }
}
