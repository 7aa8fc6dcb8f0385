using System;
using System.IO;
using Xunit;

namespace EventRouter.PackageTests;

/// <summary>Every shipped package carries a licence, a readme, tags and the repository address (one setting for all).</summary>
public sealed class PackageMetadataTests
{
    [Theory]
    [InlineData("EventRouter.Runtime")]
    [InlineData("EventRouter.RabbitMQ")]
    [InlineData("EventRouter.Testing")]
    public void PackableProject_HasLicenceReadmeTagsAndRepository(string project)
    {
        var root = Root();
        var path = Path.Combine(root, "src", project);
        var result = Dotnet.Run(root, TimeSpan.FromMinutes(3), "msbuild", path,
            "-getProperty:IsPackable", "-getProperty:PackageLicenseExpression", "-getProperty:PackageReadmeFile",
            "-getProperty:PackageTags", "-getProperty:RepositoryUrl", "-getProperty:PackageProjectUrl", "-getProperty:EventRouterRepositoryUrl");
        result.AssertSuccess("dotnet msbuild -getProperty");
        var output = result.Output;

        Assert.Contains("\"IsPackable\": \"true\"", output, StringComparison.Ordinal);
        Assert.Contains("\"PackageLicenseExpression\": \"MIT\"", output, StringComparison.Ordinal);
        Assert.Contains("\"PackageReadmeFile\": \"PACKAGE.md\"", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(path, "PACKAGE.md")), project + " has no PACKAGE.md");
        Assert.DoesNotContain("\"PackageTags\": \"\"", output, StringComparison.Ordinal);
        const string Repository = "https://github.com/eventrouter/eventrouter";
        Assert.Contains($"\"RepositoryUrl\": \"{Repository}\"", output, StringComparison.Ordinal);
        Assert.Contains($"\"PackageProjectUrl\": \"{Repository}\"", output, StringComparison.Ordinal);
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
