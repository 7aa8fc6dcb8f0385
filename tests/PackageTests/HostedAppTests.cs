using System;
using System.IO;
using Xunit.Abstractions;

namespace EventRouter.PackageTests;

/// <summary>
/// The layout of a real service, from the packed packages with warnings as errors: a class library of listeners, a
/// generic-host app that binds the dispatch loop's options from appsettings.json and registers the health checks, and
/// a test project that sees the app's internals (<c>InternalsVisibleTo</c>) and references EventRouter.Testing, so both
/// it and the app have generated types of their own.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class HostedAppTests(PackageFixture package, ITestOutputHelper log)
{
    /// <summary>What the app prints: the bound options, every listener's work, the health checks before and after stop.</summary>
    private static readonly string[] ExpectedOutput =
    {
        "options: MaxParallelism=3 Capacity=64 MaxAttempts=2",
        "audit: A-1",
        "audit: A-2",
        "billing: A-1 12.50",
        "billing: A-2 3.00",
        "shipping: A-1",
        "shipping: A-2",
        "health: eventrouter-dispatch-loop Healthy [live,ready]",
        "health: eventrouter-event-loops Healthy [live,ready]",
        "health: eventrouter-modules Healthy [live,ready]",
        "after stop: Unhealthy",
        "done",
    };

    [Fact]
    public void HostedApp_LibraryAndTestProject_BuildWithWarningsAsErrors_RunAndPass()
    {
        var solution = package.CreateHostedSolution("hosted");
        var tests = Path.Combine(solution, "App.Tests");

        // One build: the test project builds the app and the library it references.
        var build = Dotnet.Run(tests, TimeSpan.FromMinutes(8), "build", "-c", "Release", "-warnaserror");
        log.WriteLine($"build: {build.Elapsed.TotalSeconds:F1} s");
        build.AssertSuccess("dotnet build (library, app, test project)");
        Assert.Contains("0 Warning(s)", build.Output);

        var app = Path.Combine(solution, "App", "bin", "Release", "net10.0", "App.dll");
        var run = Dotnet.Run(solution, TimeSpan.FromMinutes(1), app);
        run.AssertSuccess("the hosted app");
        Assert.Equal(ExpectedOutput, run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var test = Dotnet.Run(tests, TimeSpan.FromMinutes(5), "test", "-c", "Release", "--no-build");
        log.WriteLine($"test: {test.Elapsed.TotalSeconds:F1} s");
        test.AssertSuccess("dotnet test App.Tests");
        Assert.Contains("Passed!  - Failed:     0, Passed:     3", test.Output);
    }
}
