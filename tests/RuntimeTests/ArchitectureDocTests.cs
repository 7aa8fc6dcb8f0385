using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace EventRouter.Tests;

/// <summary>
/// docs/architecture.md is the map a newcomer follows: every file and folder it names must exist, so a move that
/// forgets the map fails here instead of misleading a reader.
/// </summary>
public sealed partial class ArchitectureDocTests
{
    private static readonly string[] s_roots = { "src/", "tests/", "samples/", "docs/", "benchmarks/", "scripts/" };

    [Fact]
    public void ArchitectureDoc_EveryNamedPath_Exists()
    {
        var root = Repository.Root;
        var doc = File.ReadAllText(Path.Combine(root, "docs", "architecture.md"));
        var files = s_roots
            .SelectMany(r => Directory.EnumerateFiles(Path.Combine(root, r), "*", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .ToList();

        var missing = new List<string>();
        var checkedNames = 0;
        foreach (var name in CodeSpan().Matches(doc).Select(m => m.Groups[1].Value).Distinct())
        {
            // Written by a build, not checked in.
            if (name.Contains("Generated/", StringComparison.Ordinal))
            {
                continue;
            }
            if (s_roots.Any(r => name.StartsWith(r, StringComparison.Ordinal)))
            {
                checkedNames++;
                if (!File.Exists(Path.Combine(root, name)) && !Directory.Exists(Path.Combine(root, name)))
                {
                    missing.Add(name);
                }
            }
            else if (FileName().IsMatch(name))
            {
                // A file named relative to a folder given nearby: some file of the tree must end so.
                checkedNames++;
                if (!files.Any(f => f.EndsWith("/" + name, StringComparison.Ordinal) || f == name))
                {
                    missing.Add(name);
                }
            }
        }

        Assert.True(checkedNames > 30, $"only {checkedNames} paths found in docs/architecture.md: is the pattern still right?");
        Assert.True(missing.Count == 0, "docs/architecture.md names paths that do not exist: " + string.Join(", ", missing));
    }

    [GeneratedRegex("`([^`\\s]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^[A-Za-z0-9_./]+\.(cs|md|txt|csproj|sh|props)$")]
    private static partial Regex FileName();
}
