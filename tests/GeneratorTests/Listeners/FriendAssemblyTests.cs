using System;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using System.Threading.Tasks;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Modules;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Tests.Listeners;

/// <summary>
/// An application that grants its test project internals access, both with the generator (the test project gets it
/// through EventRouter.Testing): the generated types and the DI extension of the two must not collide.
/// </summary>
public sealed class FriendAssemblyTests
{
    private const string AppSource = Sources.Usings + """
        [assembly: System.Runtime.CompilerServices.InternalsVisibleTo("App.Tests")]
        namespace App;
        public sealed record Placed(int Id);
        [EventListener]
        internal sealed class Billing : IEventListener<Placed>
        {
            public static int Seen;
            public ValueTask HandleAsync(Placed e, CancellationToken ct) { Seen += e.Id; return default; }
        }
        [EventListener]
        public sealed class Audit : IEventListener<Placed>
        {
            public static int Seen;
            public ValueTask HandleAsync(Placed e, CancellationToken ct) { Seen += e.Id; return default; }
        }
        """;

    // What a test of the application writes: its dispatcher, its DI registration and its event map, by their short
    // names; the test project's own dispatcher (with its own listener) by its namespace.
    private const string TestsSource = Sources.Usings + """
        using System.Linq;
        using EventRouter.Generated;
        using Microsoft.Extensions.DependencyInjection;
        namespace App.Tests;
        [EventListener]
        public sealed class Probe : IEventListener<App.Placed>
        {
            public static int Seen;
            public ValueTask HandleAsync(App.Placed e, CancellationToken ct) { Seen += e.Id; return default; }
        }
        public static class Entry
        {
            public static async Task<string> RunAsync()
            {
                var services = new ServiceCollection().AddEventRouter().BuildServiceProvider();
                await services.GetRequiredService<IEventPublisher>().PublishAsync(new App.Placed(1));
                await new EventDispatcher().PublishAsync(new App.Placed(10));
                var routes = EventMap.Routes.Single().Listeners.Count;
                var modules = EventMap.Modules.Count;

                var own = new ServiceCollection();
                EventRouter.Generated.App_Tests.EventRouterServiceCollectionExtensions.AddEventRouter(own);
                await own.BuildServiceProvider().GetRequiredService<EventRouter.Generated.App_Tests.EventDispatcher>().PublishAsync(new App.Placed(100));
                var ownRoutes = EventRouter.Generated.App_Tests.EventMap.Routes.Single().Listeners.Count;
                return $"billing {App.Billing.Seen}, audit {App.Audit.Seen}, probe {Probe.Seen}, app routes {routes}, own routes {ownRoutes}, modules {modules}";
            }
        }
        """;

    [Fact]
    public async Task TestProjectWithInternalsAccess_CompilesWithoutWarningsAndUsesTheApplicationsTypes()
    {
        var app = GeneratorHarness.Run(GeneratorHarness.Compile("App", Array.Empty<MetadataReference>(), AppSource), new EventRouterGenerator(), new ModuleServerGenerator());
        GeneratorHarness.AssertClean(app.Output);
        Assert.Matches(@"namespace EventRouter\.Generated[;\n]", GeneratorHarness.GeneratedSource(app.Result, "EventRouter.EventDispatcher.g.cs").Replace("\r\n", "\n"));

        var tests = GeneratorHarness.Run(
            GeneratorHarness.Compile("App.Tests", new[] { GeneratorHarness.ToReference(app.Output) }, TestsSource),
            new EventRouterGenerator(), new ModuleServerGenerator());

        // Without distinct names: CS0436 (EventDispatcher, EventMap) and CS0121 (AddEventRouter), errors under warnings as errors.
        GeneratorHarness.AssertClean(tests.Output);
        foreach (var hint in new[] { "EventRouter.EventDispatcher.g.cs", "EventRouter.EventMap.g.cs", "EventRouter.EventMap.Modules.g.cs", "EventRouter.DependencyInjection.g.cs" })
        {
            Assert.Matches(@"namespace EventRouter\.Generated\.App_Tests[;\n]", GeneratorHarness.GeneratedSource(tests.Result, hint).Replace("\r\n", "\n"));
        }

        var context = new AssemblyLoadContext("friends-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        context.LoadFromStream(new MemoryStream(Emit(app.Output)));
        var entry = context.LoadFromStream(new MemoryStream(Emit(tests.Output))).GetType("App.Tests.Entry")!;
        var outcome = await (Task<string>)entry.GetMethod("RunAsync")!.Invoke(null, null)!;

        // The application's dispatcher (through DI and directly) reaches its internal listener; the test project's own
        // reaches the application's public listener and its own.
        Assert.Equal("billing 11, audit 111, probe 100, app routes 2, own routes 2, modules 0", outcome);
    }

    [Fact]
    public void ReferenceWithoutInternalsAccess_KeepsTheUsualNamespace()
    {
        var library = GeneratorHarness.Run(
            GeneratorHarness.Compile("Lib", Array.Empty<MetadataReference>(), AppSource.Replace("InternalsVisibleTo(\"App.Tests\")", "InternalsVisibleTo(\"Other\")")),
            new EventRouterGenerator());
        var app = GeneratorHarness.Run(
            GeneratorHarness.Compile("App.Tests", new[] { GeneratorHarness.ToReference(library.Output) }, Sources.Usings + "namespace App.Tests;\n"),
            new EventRouterGenerator());

        GeneratorHarness.AssertClean(app.Output);
        Assert.All(app.Result.Results.SelectMany(r => r.GeneratedSources).Where(s => s.HintName != "EventRouter.AssemblyInfo.g.cs"),
            s => Assert.DoesNotContain("App_Tests", s.SourceText.ToString()));
    }

    private static byte[] Emit(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return stream.ToArray();
    }
}
