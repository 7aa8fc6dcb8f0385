using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace EventRouter.Generator.Tests.Infrastructure;

/// <summary>
/// Snapshot assertions with Verify's file conventions: <c>Snapshots/Name.verified.cs</c> is checked in; on a
/// mismatch <c>Name.received.cs</c> is written next to it and the test fails with a line diff. To approve a
/// change, rename received to verified. Set EVENTROUTER_ACCEPT_SNAPSHOTS=1 to write verified files directly.
/// </summary>
internal static partial class Snapshot
{
    public static void Match(string actual, string name, [CallerFilePath] string callerFile = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
        if (!Directory.Exists(directory))
        {
            directory = Path.Combine(FindTestProjectDirectory(callerFile), "Snapshots");
        }
        Directory.CreateDirectory(directory);
        var verifiedPath = Path.Combine(directory, name + ".verified.cs");
        var receivedPath = Path.Combine(directory, name + ".received.cs");
        var scrubbed = Scrub(actual);

        if (Environment.GetEnvironmentVariable("EVENTROUTER_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(verifiedPath, scrubbed);
            File.Delete(receivedPath);
            return;
        }

        var verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n") : null;
        if (verified == scrubbed)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, scrubbed);
        Assert.Fail(verified is null
            ? $"No snapshot {verifiedPath}. Review {receivedPath} and rename it to .verified.cs."
            : $"Snapshot {name} differs; see {receivedPath}.\n{Diff(verified, scrubbed)}");
    }

    /// <summary>Removes what changes from build to build: the generator version.</summary>
    public static string Scrub(string source) =>
        VersionPattern().Replace(source.Replace("\r\n", "\n"), "\"EventRouter.Generator\", \"{version}\"");

    [GeneratedRegex("\"EventRouter\\.Generator\", \"[^\"]+\"")]
    private static partial Regex VersionPattern();

    private static string FindTestProjectDirectory(string callerFile)
    {
        // With ContinuousIntegrationBuild (CI=true) the compiler maps source paths to /_/, so [CallerFilePath] names no
        // real folder: find the project from the test binaries instead (bin/<configuration>/<tfm>/ under it).
        var start = Directory.Exists(Path.GetDirectoryName(callerFile)) ? Path.GetDirectoryName(callerFile)! : AppContext.BaseDirectory;
        var dir = new DirectoryInfo(start);
        while (dir is not null && !dir.GetFiles("*.csproj").Any())
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? Path.GetDirectoryName(callerFile)!;
    }

    private static string Diff(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var lines = new System.Text.StringBuilder();
        var shown = 0;
        for (var i = 0; i < Math.Max(e.Length, a.Length) && shown < 40; i++)
        {
            var left = i < e.Length ? e[i] : "<end>";
            var right = i < a.Length ? a[i] : "<end>";
            if (left != right)
            {
                lines.Append("line ").Append(i + 1).Append(":\n  - ").Append(left).Append("\n  + ").Append(right).Append('\n');
                shown++;
            }
        }
        return lines.ToString();
    }
}
