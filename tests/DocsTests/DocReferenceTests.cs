using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace EventRouter.Docs.Tests;

/// <summary>
/// What the pages point at is there: every relative link lands on a file (and on a heading of it when it names one),
/// every repository path written in backticks exists, and every test a page names as the proof of a guarantee exists.
/// </summary>
public sealed class DocReferenceTests
{
    /// <summary>The pages a reader follows: the README, the contributing guide, the package pages and docs/.</summary>
    private static IEnumerable<string> Pages() =>
        DocBlock.Pages().Append("CONTRIBUTING.md").Append("scripts/services/README.md").Distinct();

    private static readonly Regex Link = new(@"\]\((?<target>[^)\s]+)\)", RegexOptions.Compiled);
    private static readonly Regex RepositoryPath = new(@"`(?<path>(?:src|tests|samples|benchmarks|docs|scripts)/[^`\s]+)`", RegexOptions.Compiled);
    private static readonly Regex NamedTest = new(@"`(?:[\w/]+/)?(?<type>[A-Z]\w*Tests)\.(?<member>[\w…*]+)(?:\([^`]*\))?`", RegexOptions.Compiled);
    private static readonly Regex Heading = new(@"^#+\s+(.+?)\s*$", RegexOptions.Compiled | RegexOptions.Multiline);
    private static readonly Regex CodeBlock = new(@"^\s*```.*?^\s*```", RegexOptions.Compiled | RegexOptions.Multiline | RegexOptions.Singleline);

    [Fact]
    public void RelativeLinks_LandOnAFileAndHeading()
    {
        var broken = new List<string>();
        foreach (var page in Pages())
        {
            foreach (Match m in Link.Matches(Prose(page)))
            {
                var target = m.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }
                var hash = target.IndexOf('#');
                var path = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var file = path.Length == 0 ? page : Path.GetRelativePath(DocBlock.RepositoryRoot,
                    Path.GetFullPath(Path.Combine(DocBlock.RepositoryRoot, Path.GetDirectoryName(page)!, path))).Replace('\\', '/');
                var full = Path.Combine(DocBlock.RepositoryRoot, file);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    broken.Add($"{page}: ({target}): no {file}");
                }
                else if (anchor is not null && file.EndsWith(".md", StringComparison.Ordinal) && !Anchors(file).Contains(anchor))
                {
                    broken.Add($"{page}: ({target}): {file} has no heading #{anchor}");
                }
            }
        }
        Assert.True(broken.Count == 0, "broken links:\n  " + string.Join("\n  ", broken));
    }

    [Fact]
    public void RepositoryPaths_InBackticks_Exist()
    {
        var missing = new List<string>();
        foreach (var page in Pages())
        {
            foreach (Match m in RepositoryPath.Matches(Prose(page)))
            {
                var path = Regex.Replace(m.Groups["path"].Value, "[#:].*$", "").TrimEnd('/', '.', ',');
                // Build output (each sample's Generated/ folder) appears only after a build; a pattern is not a path.
                if (path.Contains("/Generated", StringComparison.Ordinal) || path.IndexOfAny(['*', '<', '…', '{']) >= 0)
                {
                    continue;
                }
                var full = Path.Combine(DocBlock.RepositoryRoot, path);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    missing.Add($"{page}: {m.Groups["path"].Value}");
                }
            }
        }
        Assert.True(missing.Count == 0, "paths that do not exist:\n  " + string.Join("\n  ", missing));
    }

    [Fact]
    public void NamedTests_Exist()
    {
        var sources = Directory.GetFiles(Path.Combine(DocBlock.RepositoryRoot, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        var checkedNames = 0;
        var missing = new List<string>();
        foreach (var page in Pages())
        {
            foreach (Match m in NamedTest.Matches(File.ReadAllText(Path.Combine(DocBlock.RepositoryRoot, page))))
            {
                var type = m.Groups["type"].Value;
                var member = m.Groups["member"].Value;
                if (member == "cs")
                {
                    continue; // a file name (FaultTests.cs), not a test
                }
                // The tests of a class are its own and, for the per-backend classes, its base class's.
                var declaring = sources.Where(s => Regex.IsMatch(s, $@"\bclass\s+{type}\b")).ToList();
                var bases = declaring.SelectMany(s => Regex.Matches(s, $@"\bclass\s+{type}\b[^:{{]*:\s*(\w+)").Select(b => b.Groups[1].Value)).ToList();
                var files = declaring.Concat(sources.Where(s => bases.Any(b => Regex.IsMatch(s, $@"\bclass\s+{b}\b")))).ToList();
                if (files.Count == 0)
                {
                    missing.Add($"{page}: {type} (no such test class)");
                    continue;
                }
                checkedNames++;
                var methods = files.SelectMany(s => Regex.Matches(s, @"\b(?:Task|void)\s+(\w+)\s*\(").Select(x => x.Groups[1].Value)).ToHashSet();
                var ok = member.EndsWith('*') || member.EndsWith('…')
                    ? methods.Any(x => x.StartsWith(member.TrimEnd('*', '…'), StringComparison.Ordinal))
                    : methods.Contains(member);
                if (!ok)
                {
                    missing.Add($"{page}: {type}.{member}");
                }
            }
        }
        Assert.True(missing.Count == 0, "tests the docs name that do not exist:\n  " + string.Join("\n  ", missing));
        Assert.True(checkedNames >= 40, $"only {checkedNames} named tests found: is the pattern still right?");
    }

    /// <summary>The page without its code blocks (a link or path inside code is code).</summary>
    private static string Prose(string page) =>
        CodeBlock.Replace(File.ReadAllText(Path.Combine(DocBlock.RepositoryRoot, page)).Replace("\r\n", "\n"), "");

    /// <summary>The anchors GitHub gives a page's headings: lower case, spaces to '-', punctuation dropped.</summary>
    internal static HashSet<string> Anchors(string page) =>
        Heading.Matches(Prose(page))
            .Select(m => Regex.Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), @"[^a-z0-9 _-]", "").Replace(' ', '-'))
            .ToHashSet();
}
