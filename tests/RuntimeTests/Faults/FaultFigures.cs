using System;
using System.Threading;

namespace EventRouter.Tests.Faults;

/// <summary>
/// Each fault scenario prints one line of figures (cases run, faults injected, lost, hung, run twice) so the numbers in
/// docs/reliability.md can be re-measured with <c>dotnet test --logger "console;verbosity=detailed"</c>.
/// </summary>
internal static class FaultFigures
{
    public static void Report(string scenario, long cases, long faults, long lost, long hung, long twice) =>
        Console.WriteLine($"FAULT-FIGURES {scenario}: cases={cases} faults={faults} lost={lost} hung={hung} twice={twice}");

    /// <summary>A seed from the environment (to replay a failure) or a fresh one; always part of a failure message.</summary>
    public static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("FAULT_SEED"), out var seed) ? seed : Random.Shared.Next();
}
