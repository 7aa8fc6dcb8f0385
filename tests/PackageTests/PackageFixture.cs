using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace EventRouter.PackageTests;

/// <summary>
/// Packs EventRouter once per test run, with a unique prerelease version (so a package cached by an earlier run can
/// never be restored instead), into a temporary feed, and writes a nuget.config that takes <c>EventRouter</c> (and
/// <c>EventRouter.Testing</c>, packed when a test asks for it) from that feed only and everything else from the
/// machine's configured sources.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    public PackageFixture()
    {
        RepositoryRoot = FindRepositoryRoot();
        Root = Directory.CreateTempSubdirectory("eventrouter-package-").FullName;
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

        // Stop MSBuild from walking up into anything above the temporary folder.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");
        // The fresh app sets its own package versions, as an app outside this repository would (no central management).
        File.WriteAllText(Path.Combine(Root, "Directory.Packages.props"), "<Project />\n");

        // --artifacts-path: the pack builds into the temporary folder, never into the repository's bin/obj, which other
        // test projects running in parallel (and the next incremental build) use.
        (Package, PackTime) = Pack("EventRouter.Runtime", "EventRouter");
        WriteNuGetConfig();
        _testingPackage = new Lazy<string>(PackTesting);
    }

    private readonly Lazy<string> _testingPackage;

    /// <summary>
    /// EventRouter.Testing, packed into the same feed with the same version on first use (only the hosted app needs
    /// it); the pack reuses the runtime's build in the same artifacts folder.
    /// </summary>
    public string TestingPackage => _testingPackage.Value;

    private string PackTesting() => Pack("EventRouter.Testing", "EventRouter.Testing").Package;

    private (string Package, TimeSpan Elapsed) Pack(string project, string packageId)
    {
        var pack = Dotnet.Run(RepositoryRoot, TimeSpan.FromMinutes(8),
            "pack", Path.Combine(RepositoryRoot, "src", project), "-c", "Release", "-o", Feed,
            "--artifacts-path", Path.Combine(Root, "artifacts"), $"-p:Version={Version}");
        pack.AssertSuccess("dotnet pack " + project);
        var package = Path.Combine(Feed, $"{packageId}.{Version}.nupkg");
        return File.Exists(package) ? (package, pack.Elapsed) : throw new InvalidOperationException($"dotnet pack did not produce {package}:\n{pack.Output}");
    }

    /// <summary>
    /// Copies the hosted solution from <c>Hosted/</c> (a class library, a hosted app, a test project) into a fresh
    /// folder, referencing the packed version; returns the folder.
    /// </summary>
    public string CreateHostedSolution(string name)
    {
        _ = TestingPackage;
        var source = Path.Combine(AppContext.BaseDirectory, "Hosted");
        var directory = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(directory, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        File.WriteAllText(Path.Combine(directory, "EventRouterVersion.props"),
            $"<Project>\n  <PropertyGroup>\n    <EventRouterVersion>{Version}</EventRouterVersion>\n  </PropertyGroup>\n</Project>\n");
        return directory;
    }

    public string RepositoryRoot { get; }

    /// <summary>The temporary folder holding the feed and the apps; deleted at the end.</summary>
    public string Root { get; }

    public string Feed { get; }

    public string Version { get; }

    public string Package { get; }

    public TimeSpan PackTime { get; }

    /// <summary>Creates a fresh console project from the sources in <c>App/</c>, referencing EventRouter by version.</summary>
    public string CreateApp(string name, string targetFramework, string extraProperties = "")
    {
        var directory = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "App")))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
        File.WriteAllText(Path.Combine(directory, "PackageApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{targetFramework}</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <AssemblyName>PackageApp</AssemblyName>
                {extraProperties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="EventRouter" Version="{Version}" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.12" />
              </ItemGroup>
            </Project>
            """);
        // An application sees every listener, so it raises ER0010 (info by default) to an error, as docs/diagnostics.md advises.
        File.WriteAllText(Path.Combine(directory, ".editorconfig"), "root = true\n\n[*.cs]\ndotnet_diagnostic.ER0010.severity = error\n");
        return directory;
    }

    private void WriteNuGetConfig()
    {
        // The machine's sources, as the user-level configuration has them (read from the temp folder: no repo config).
        var list = Dotnet.Run(Root, TimeSpan.FromMinutes(1), "nuget", "list", "source", "--format", "short");
        list.AssertSuccess("dotnet nuget list source");
        var sources = list.Output.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("E ", StringComparison.Ordinal))
            .Select(l => l[2..].Trim())
            .ToList();
        if (sources.Count == 0)
        {
            throw new InvalidOperationException("No enabled NuGet source is configured on this machine:\n" + list.Output);
        }

        var config = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n");
        config.Append($"    <add key=\"eventrouter-local\" value=\"{Feed}\" />\n");
        for (var i = 0; i < sources.Count; i++)
        {
            config.Append($"    <add key=\"machine{i}\" value=\"{System.Security.SecurityElement.Escape(sources[i])}\" />\n");
        }
        // Source mapping: EventRouter comes from the local feed only, never from a remote source or another version.
        config.Append("  </packageSources>\n  <packageSourceMapping>\n");
        config.Append("    <packageSource key=\"eventrouter-local\">\n      <package pattern=\"EventRouter\" />\n      <package pattern=\"EventRouter.Testing\" />\n    </packageSource>\n");
        for (var i = 0; i < sources.Count; i++)
        {
            config.Append($"    <packageSource key=\"machine{i}\">\n      <package pattern=\"*\" />\n    </packageSource>\n");
        }
        config.Append("  </packageSourceMapping>\n</configuration>\n");
        File.WriteAllText(Path.Combine(Root, "nuget.config"), config.ToString());
    }

    private static string FindRepositoryRoot()
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

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("EVENTROUTER_KEEP_PACKAGE_TESTS") == "1")
        {
            return;
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is not a test failure.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackageFixture>
{
    public const string Name = "package";
}

/// <summary>Runs a process to completion with a timeout, capturing stdout and stderr together.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    public void AssertSuccess(string what)
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"{what} failed with exit code {ExitCode}: {Command}\n{Output}");
        }
    }
}

public static class Dotnet
{
    public static ProcessResult Run(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
        Exec("dotnet", workingDirectory, timeout, arguments);

    public static ProcessResult Exec(string fileName, string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        // The test host runs under `dotnet test`, whose MSBuild variables would leak into the child builds.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
        {
            info.Environment.Remove(key);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        var output = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Append(e.Data).Append('\n'); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}:\n{output}");
        }
        process.WaitForExit(); // drains the asynchronous output readers
        var command = fileName + " " + string.Join(' ', arguments);
        lock (output)
        {
            return new ProcessResult(command, process.ExitCode, output.ToString(), watch.Elapsed);
        }
    }
}
