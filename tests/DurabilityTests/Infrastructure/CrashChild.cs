using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace EventRouter.Durability.Tests.Infrastructure;

/// <summary>Runs tests/DurabilityCrashChild as its own process and kills it with SIGKILL when asked.</summary>
public static class CrashChild
{
    /// <summary>
    /// Runs the child with <paramref name="arguments"/>; killed <paramref name="killAfter"/> after it printed READY,
    /// or (null) waited for until it printed DONE and exited with 0. Returns the numbers it reported (ACCEPTED,
    /// COMMITTED, PUBLISHED) before it was killed or finished. With <paramref name="killAfterReports"/>, the kill's
    /// delay starts only once the child reported that many numbers: a kill meant for a later phase (the retries after
    /// the orders were accepted) then never lands early on a slow machine.
    /// </summary>
    public static async Task<List<int>> RunAsync(IEnumerable<string> arguments, TimeSpan? killAfter, string context,
        IReadOnlyDictionary<string, string>? environment = null, int killAfterReports = 0)
    {
        var dll = Path.Combine(AppContext.BaseDirectory.Replace("DurabilityTests", "DurabilityCrashChild", StringComparison.Ordinal), "DurabilityCrashChild.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = new Process { StartInfo = start };
        var reported = new ConcurrentQueue<int>();
        var errors = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reportsIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (killAfterReports <= 0)
        {
            reportsIn.TrySetResult();
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            switch (e.Data?.Split(' '))
            {
                case ["READY"]:
                    ready.TrySetResult();
                    break;
                case ["DONE"]:
                    done.TrySetResult();
                    break;
                case ["ACCEPTED" or "COMMITTED" or "PUBLISHED", var index]:
                    reported.Enqueue(int.Parse(index));
                    if (reported.Count >= killAfterReports)
                    {
                        reportsIn.TrySetResult();
                    }
                    break;
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var guard = TimeSpan.FromSeconds(180);
        try
        {
            var first = await Task.WhenAny(ready.Task, exited).WaitAsync(guard);
            Assert.True(first == ready.Task, $"{context}: the child exited before it was ready: {string.Join("\n", errors)}");
            if (killAfter is { } delay)
            {
                var reports = await Task.WhenAny(reportsIn.Task, exited).WaitAsync(guard);
                Assert.True(reports == reportsIn.Task, $"{context}: the child exited after {reported.Count} of {killAfterReports} reports: {string.Join("\n", errors)}");
                await Task.Delay(delay);
                process.Kill(entireProcessTree: true); // SIGKILL: no finally block, no flush, no graceful anything
                await exited.WaitAsync(guard);
            }
            else
            {
                await done.Task.WaitAsync(guard);
                await exited.WaitAsync(guard);
                Assert.True(process.ExitCode == 0, $"{context}: the child failed ({process.ExitCode}): {string.Join("\n", errors)}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        // Lines read before the kill are all in: the output pipe drains once the process is gone.
        process.WaitForExit();
        return reported.ToList();
    }

    /// <summary>The effects the child's listener wrote (tests/DurabilityCrashChild), in the order they were written.</summary>
    public static async Task<List<(string Customer, int Sequence)>> ReadEffectsAsync(TestDatabase database, string listener)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT customer, sequence FROM crash_effects WHERE listener = '{listener}' ORDER BY id";
        var effects = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            effects.Add((reader.GetString(0), Convert.ToInt32(reader.GetValue(1))));
        }
        return effects;
    }

    /// <summary>The seed of a crash test: ER_CRASH_SEED replays a failed run's kill moments.</summary>
    public static int Seed() => int.TryParse(Environment.GetEnvironmentVariable("ER_CRASH_SEED"), out var seed) ? seed : Environment.TickCount;
}
