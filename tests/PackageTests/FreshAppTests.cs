using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace EventRouter.PackageTests;

/// <summary>
/// The path a new user takes: the packed EventRouter package, referenced by version from a fresh console project,
/// built with warnings as errors and run; then the same sources published with Native AOT (net9.0) and run.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class FreshAppTests(PackageFixture package, ITestOutputHelper log)
{
    /// <summary>What the app prints; the same under JIT and Native AOT. The "filter:" lines prove the event and module filters ran.</summary>
    internal static readonly string[] ExpectedOutput =
    {
        "filter: orders.placed -> PackageApp.AuditLog",
        "audit: OrderPlaced A-1",
        "filter: orders.placed -> PackageApp.Billing",
        "billing: charged A-1 12.50",
        "audit: OrderShipped A-1",
        "shipping: A-1 #1",
        "filter: orders.placed -> PackageApp.AuditLog",
        "audit: OrderPlaced A-2",
        "filter: orders.placed -> PackageApp.Billing",
        "billing: charged A-2 3.00",
        "audit: OrderShipped B-2",
        "shipping: B-2 #2",
        "failed: PackageApp.OrderShipped in PackageApp.Flaky: carrier down",
        "audit: OrderShipped D-5",
        "shipping: D-5 #3",
        "event loop: app-loop idle, 0 pending",
        "filter: Inventory skipped an empty restock of A-1",
        "filter: Inventory answered Reserve with 3",
        "inventory: 3 left",
        "filter: Inventory failed Reserve: InvalidOperationException",
        "inventory: only 3 of A-1 in stock",
        "audit: OrderShipped C-3",
        "shipping: C-3 #4",
        "filter: orders.placed -> PackageApp.AuditLog",
        "audit: OrderPlaced C-4",
        "filter: orders.placed -> PackageApp.Billing",
        "billing: charged C-4 1.00",
        "drained: accepted=True, handled=2 of 2",
        "routes: orders.placed -> PackageApp.AuditLog, PackageApp.Billing; PackageApp.OrderShipped -> PackageApp.AuditLog, PackageApp.Flaky, PackageApp.Shipping",
        "done",
    };

    [Fact]
    public void Package_HasRuntimeAnalyzersCodeFixesAndDocs()
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(package.Package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net8.0/EventRouter.dll", entries);
        Assert.Contains("lib/net8.0/EventRouter.xml", entries);
        Assert.Contains("analyzers/dotnet/cs/EventRouter.Generator.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/EventRouter.CodeFixes.dll", entries);
        Assert.Contains("PACKAGE.md", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Generator", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.ChangeExtension(package.Package, ".snupkg")), "symbols package");

        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName == "EventRouter.nuspec").Open());
        var text = nuspec.ReadToEnd();
        Assert.Contains("<license type=\"expression\">MIT</license>", text);
        Assert.Contains("<readme>PACKAGE.md</readme>", text);
        Assert.DoesNotContain("EventRouter.Generator", text); // not a package dependency
        Assert.DoesNotContain("Microsoft.CodeAnalysis", text);
    }

    [Fact]
    public void FreshConsoleApp_BuildsWithWarningsAsErrors_AndRuns()
    {
        var app = package.CreateApp("jit", "net10.0");

        var build = Dotnet.Run(app, TimeSpan.FromMinutes(5), "build", "-c", "Release", "-warnaserror");
        log.WriteLine($"pack: {package.PackTime.TotalSeconds:F1} s, build: {build.Elapsed.TotalSeconds:F1} s");
        build.AssertSuccess("dotnet build");
        Assert.Contains("0 Warning(s)", build.Output);

        var map = Path.Combine(app, "event-map.md");
        var run = Dotnet.Run(app, TimeSpan.FromMinutes(1), Path.Combine(app, "bin", "Release", "net10.0", "PackageApp.dll"), "--event-map", map);
        run.AssertSuccess("the app");
        Assert.Equal(ExpectedOutput, Lines(run.Output));

        // docs/event-map.md shows this app's map as generated output: keep it identical to what the app writes.
        var docs = File.ReadAllText(Path.Combine(package.RepositoryRoot, "docs", "event-map.md")).Replace("\r\n", "\n");
        const string begin = "<!-- event-map:PackageApp -->\n", end = "<!-- /event-map -->";
        var start = docs.IndexOf(begin, StringComparison.Ordinal) + begin.Length;
        var documented = docs[start..docs.IndexOf(end, start, StringComparison.Ordinal)];
        Assert.Equal(File.ReadAllText(map), documented);
    }

    [Fact]
    public void UnhandledPublish_IsReportedByThePackagedAnalyzer_AtTheSeverityTheAppChose()
    {
        var app = package.CreateApp("er0010", "net10.0");
        File.WriteAllText(Path.Combine(app, "Orphan.cs"), """
            namespace PackageApp;
            public sealed record Forgotten(int N);
            public static class Orphans
            {
                public static ValueTask Publish(EventRouter.IEventPublisher p) => p.PublishAsync(new Forgotten(1));
            }
            """);

        var build = Dotnet.Run(app, TimeSpan.FromMinutes(5), "build", "-c", "Release");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error ER0010", build.Output);
        Assert.Contains("'PackageApp.Forgotten'", build.Output);
    }

    [Fact]
    public void FreshConsoleApp_NativeAot_net9_NoTrimOrAotWarnings_AndRuns()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            // Cross-OS native compilation is not supported; this machine and CI are linux-x64.
            throw new PlatformNotSupportedException("The Native AOT test runs on linux-x64.");
        }
        // net9.0: the package mirror has the net9.0 NativeAOT packages but not net10.0's.
        var app = package.CreateApp("aot", "net9.0", """
            <PublishAot>true</PublishAot>
                <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
                <TrimmerSingleWarn>false</TrimmerSingleWarn>
                <IlcTreatWarningsAsErrors>true</IlcTreatWarningsAsErrors>
            """);
        var output = Path.Combine(app, "publish");

        var publish = Dotnet.Run(app, TimeSpan.FromMinutes(10), "publish", "-c", "Release", "-o", output, "-warnaserror");
        log.WriteLine($"publish: {publish.Elapsed.TotalSeconds:F1} s");
        publish.AssertSuccess("dotnet publish (Native AOT)");
        // Trim (IL2xxx) and AOT (IL3xxx) warnings would fail the publish above; assert none was even printed.
        Assert.DoesNotContain(publish.Output.Split('\n'), l => l.Contains("warning", StringComparison.OrdinalIgnoreCase));

        var binary = Path.Combine(output, "PackageApp");
        Assert.True(File.Exists(binary), "native binary " + binary);
        Assert.False(File.Exists(Path.Combine(output, "PackageApp.dll")), "a native publish has no IL assembly");
        log.WriteLine($"binary: {new FileInfo(binary).Length / 1024.0 / 1024.0:F2} MiB");

        var run = Dotnet.Exec(binary, app, TimeSpan.FromMinutes(1));
        run.AssertSuccess("the native app");
        Assert.Equal(ExpectedOutput, Lines(run.Output));
    }

    private static string[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
