using System;
using System.IO;
using System.Threading.Tasks;

namespace EventRouter.Samples.Tests;

/// <summary>Runs a sample's entry point against a <see cref="StringWriter"/> and returns its exit code and lines.</summary>
internal static class SampleRun
{
    public static async Task<(int ExitCode, string[] Lines)> RunAsync(Func<TextWriter, Task<int>> sample)
    {
        using var output = new StringWriter();
        var exitCode = await sample(output);
        var lines = output.ToString().Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return (exitCode, lines);
    }

    /// <summary>The lines after <paramref name="header"/> up to the next blank line.</summary>
    public static string[] Section(string[] lines, string header)
    {
        var start = Array.IndexOf(lines, header);
        Assert.True(start >= 0, $"Section '{header}' not found in output:\n{string.Join('\n', lines)}");
        var end = Array.IndexOf(lines, string.Empty, start);
        return lines[(start + 1)..(end < 0 ? lines.Length : end)];
    }
}
