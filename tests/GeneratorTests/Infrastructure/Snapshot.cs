using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;

namespace EventRouter.Generator.Tests.Infrastructure;

/// <summary>
/// Snapshot assertions with Verify's file conventions: <c>Snapshots/Name.verified.cs</c> is checked in; on a
/// mismatch <c>Name.received.cs</c> is written next to it and the test fails with a line diff. To approve a
/// change, rename received to verified. Set EVENTROUTER_ACCEPT_SNAPSHOTS=1 to write verified files directly.
/// </summary>
/// <remarks>
/// One naming scheme: <c>Feature/Scenario.GeneratedFile</c> — the generator folder (<c>Listeners</c>, <c>Modules</c>),
/// the input, and the generated file's hint name without <c>EventRouter.</c> and <c>.g.cs</c> (<c>EventDispatcher</c>,
/// <c>EventMap</c>, <c>ModuleServer</c>…), for example <c>Listeners/Polymorphic.EventMap</c>.
/// </remarks>
internal static partial class Snapshot
{
    public static void Match(string actual, string name)
    {
        Assert.True(NamePattern().IsMatch(name), $"Snapshot name '{name}' is not Feature/Scenario.GeneratedFile (see Snapshot).");
        var directory = Path.Combine(ProjectDirectory, "Snapshots", Path.GetDirectoryName(name)!);
        Directory.CreateDirectory(directory);
        var verifiedPath = Path.Combine(directory, Path.GetFileName(name) + ".verified.cs");
        var receivedPath = Path.Combine(directory, Path.GetFileName(name) + ".received.cs");
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

    [GeneratedRegex("^(Listeners|Modules)/[A-Z][A-Za-z0-9]*(\\.[A-Z][A-Za-z0-9]*)+$")]
    private static partial Regex NamePattern();

    /// <summary>The test project's folder, recorded at build time (see GeneratorTests.csproj).</summary>
    private static string ProjectDirectory =>
        typeof(Snapshot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ProjectDirectory").Value!;

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
