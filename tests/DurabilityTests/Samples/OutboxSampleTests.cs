using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace EventRouter.Durability.Tests.Samples;

/// <summary>samples/OutboxSample kills itself half-way: it runs as a process of its own, never inside the test host.</summary>
public sealed class OutboxSampleTests
{
    [Fact]
    public async Task Sample_KilledHalfWayAndRestarted_ReportsEveryOrderHandledExactlyOnce()
    {
        var output = AppContext.BaseDirectory.Replace(Path.Combine("tests", "DurabilityTests"), Path.Combine("samples", "OutboxSample"), StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet", [Path.Combine(output, "OutboxSample.dll")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var text = await stdout;

        Assert.True(process.ExitCode == 0, text + await stderr);
        Assert.Contains("the shop process ended with exit code 137 (killed)", text, StringComparison.Ordinal);
        Assert.Contains("20 orders placed; 20 with exactly one invoice and one shipment; lost: 0", text, StringComparison.Ordinal);
    }
}
