using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using Xunit;

namespace EventRouter.PackageTests;

/// <summary>Every shipped package carries a licence, a readme, tags and the repository address (one setting for all).</summary>
public sealed class PackageMetadataTests
{
    // Read from the build (Directory.Build.props), not written here: a changed address must not need a test edit.
    private static readonly string RepositoryUrl = typeof(PackageMetadataTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "EventRouterRepositoryUrl").Value!;

    /// <summary>The projects under src/ that are not packages of their own: they ship inside the EventRouter package.</summary>
    private static readonly string[] ShippedInsideEventRouter = ["EventRouter.CodeFixes", "EventRouter.Generator"];

    /// <summary>Every project under src/, so a new package is checked without a test edit.</summary>
    public static TheoryData<string> SourceProjects() => new(Projects());

    private static string[] Projects() =>
        Directory.GetDirectories(Path.Combine(Root(), "src"))
            .Where(dir => File.Exists(Path.Combine(dir, Path.GetFileName(dir) + ".csproj")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToArray()!;

    [Fact]
    public void SourceProjects_IncludeEveryShippedPackage()
    {
        string[] packages = ["EventRouter.Durability", "EventRouter.PostgreSql", "EventRouter.RabbitMQ", "EventRouter.Runtime", "EventRouter.Sqlite", "EventRouter.Testing"];
        Assert.Equal(packages.Concat(ShippedInsideEventRouter).Order(StringComparer.Ordinal), Projects());
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void PackableProject_HasLicenceReadmeTagsAndRepository(string project)
    {
        var root = Root();
        var path = Path.Combine(root, "src", project);
        var result = Dotnet.Run(root, TimeSpan.FromMinutes(3), "msbuild", path,
            "-getProperty:IsPackable", "-getProperty:PackageLicenseExpression", "-getProperty:PackageReadmeFile",
            "-getProperty:PackageTags", "-getProperty:RepositoryUrl", "-getProperty:PackageProjectUrl", "-getProperty:EventRouterRepositoryUrl");
        result.AssertSuccess("dotnet msbuild -getProperty");
        var json = result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..(result.Output.LastIndexOf('}') + 1)];
        using var document = JsonDocument.Parse(json);
        var properties = document.RootElement.GetProperty("Properties");
        string Property(string name) => properties.GetProperty(name).GetString() ?? "";

        if (ShippedInsideEventRouter.Contains(project))
        {
            Assert.NotEqual("true", Property("IsPackable"));
            return;
        }
        Assert.Equal("true", Property("IsPackable"));
        Assert.Equal("MIT", Property("PackageLicenseExpression"));
        Assert.Equal("PACKAGE.md", Property("PackageReadmeFile"));
        Assert.True(File.Exists(Path.Combine(path, "PACKAGE.md")), project + " has no PACKAGE.md");
        Assert.NotEqual("", Property("PackageTags"));
        Assert.StartsWith("https://", RepositoryUrl, StringComparison.Ordinal);
        Assert.Equal(RepositoryUrl, Property("EventRouterRepositoryUrl"));
        Assert.Equal(RepositoryUrl, Property("RepositoryUrl"));
        Assert.Equal(RepositoryUrl, Property("PackageProjectUrl"));
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventRouter.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("EventRouter.sln not found above " + AppContext.BaseDirectory);
    }
}
