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
        return await RunAsync(start, killAfter, context, killAfterReports);
    }

    /// <summary>The same for any program that speaks the child's protocol (READY, the reports, DONE) on its output.</summary>
    internal static async Task<List<int>> RunAsync(ProcessStartInfo start, TimeSpan? killAfter, string context, int killAfterReports = 0)
    {
        using var process = new Process { StartInfo = start };
        var reported = new ConcurrentQueue<int>();
        var errors = new ConcurrentQueue<string>();
        var output = new ConcurrentQueue<string>(); // every line, for the failure message

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reportsIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (killAfterReports <= 0)
        {
            reportsIn.TrySetResult();
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Enqueue(e.Data);
            }
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
            if (!await SeenBeforeExitAsync(process, ready.Task, exited, guard))
            {
                Assert.Fail($"{context}: the child exited before it was ready ({Describe(process, output, errors)})");
            }
            if (killAfter is { } delay)
            {
                if (!await SeenBeforeExitAsync(process, reportsIn.Task, exited, guard))
                {
                    Assert.Fail($"{context}: the child exited after {reported.Count} of {killAfterReports} reports ({Describe(process, output, errors)})");
                }
                await Task.Delay(delay);
                process.Kill(entireProcessTree: true); // SIGKILL: no finally block, no flush, no graceful anything
                await exited.WaitAsync(guard);
            }
            else
            {
                await done.Task.WaitAsync(guard);
                await exited.WaitAsync(guard);
                if (process.ExitCode != 0)
                {
                    Assert.Fail($"{context}: the child failed ({Describe(process, output, errors)})");
                }
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

    /// <summary>
    /// Whether the child printed what completes <paramref name="signal"/> before it exited. The exit can be observed
    /// before the output events of the child's last lines have run (a child that prints READY and DONE and exits at
    /// once often is), so an exit is judged only after <see cref="Process.WaitForExit()"/>, which returns once every
    /// output event has been handled.
    /// </summary>
    private static async Task<bool> SeenBeforeExitAsync(Process process, Task signal, Task exited, TimeSpan guard)
    {
        if (await Task.WhenAny(signal, exited).WaitAsync(guard) == signal)
        {
            return true;
        }
        process.WaitForExit();
        return signal.IsCompleted;
    }

    /// <summary>How a child that has exited ended, for a failure message: its exit code (128 + n for signal n), its last lines out and its errors.</summary>
    private static string Describe(Process process, ConcurrentQueue<string> output, ConcurrentQueue<string> errors)
    {
        process.WaitForExit(); // the streams drained
        var last = output.TakeLast(10);
        return $"exit code {process.ExitCode}; last output: [{string.Join(" | ", last)}]; stderr: [{string.Join("\n", errors)}]";
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
