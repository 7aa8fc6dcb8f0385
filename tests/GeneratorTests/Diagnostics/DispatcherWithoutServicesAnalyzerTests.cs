using System.Linq;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Tests.Listeners;

namespace EventRouter.Generator.Tests.Diagnostics;

/// <summary>ER0011: a dispatcher created without a service provider while a listener needs one.</summary>
public sealed class DispatcherWithoutServicesAnalyzerTests
{
    private const string Model = """
        namespace App;

        public sealed record Placed(int N);
        public interface IClock { }
        [EventListener] public sealed class Plain : IEventListener<Placed> { public ValueTask HandleAsync(Placed e, CancellationToken ct) => default; }
        [EventListener] public sealed class NeedsClock : IEventListener<Placed>
        {
            public NeedsClock(IClock clock) { }
            public ValueTask HandleAsync(Placed e, CancellationToken ct) => default;
        }

        """;

    /// <summary>Runs the generator (so the generated EventDispatcher exists), then the analyzer; returns the reported spans.</summary>
    private static string[] Analyze(string model, string body)
    {
        var compilation = GeneratorHarness.Compile("App", extraReferences: null, Sources.Usings + model + body);
        var (output, _, _) = GeneratorHarness.Run(compilation, new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        return GeneratorHarness.Analyze(output, new DispatcherWithoutServicesAnalyzer())
            .Select(d => $"{d.Id} {d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split(' ')[1]}")
            .ToArray();
    }

    [Fact]
    public void DispatcherWithoutProvider_ListenerWithParameters_Reported()
    {
        var found = Analyze(Model, """
            internal static class Program
            {
                public static void Run()
                {
                    _ = new EventRouter.Generated.EventDispatcher();
                    _ = new EventRouter.Generated.EventDispatcher((System.IServiceProvider?)null);
                }
            }
            """);

        Assert.Equal(
            new[]
            {
                "ER0011 new EventRouter.Generated.EventDispatcher() 'App.NeedsClock'",
                "ER0011 new EventRouter.Generated.EventDispatcher((System.IServiceProvider?)null) 'App.NeedsClock'",
            },
            found);
    }

    [Fact]
    public void DispatcherWithProviderOrOptions_NotReported()
    {
        var found = Analyze(Model, """
            internal static class Program
            {
                public static void Run(System.IServiceProvider services, EventRouterOptions options)
                {
                    _ = new EventRouter.Generated.EventDispatcher(services);
                    _ = new EventRouter.Generated.EventDispatcher(options);
                    _ = new EventRouter.Generated.EventDispatcher(null, options);
                }
            }
            """);

        Assert.Empty(found);
    }

    [Fact]
    public void ProjectThatRegistersTheRouter_NotReported()
    {
        var found = Analyze(Model, """
            internal static class Program
            {
                public static void Run(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
                {
                    Microsoft.Extensions.DependencyInjection.EventRouterServiceCollectionExtensions.AddEventRouter(services);
                    _ = new EventRouter.Generated.EventDispatcher();
                }
            }
            """);

        Assert.Empty(found);
    }

    [Fact]
    public void EveryListenerConstructible_NotReported()
    {
        var found = Analyze("""
            namespace App;

            public sealed record Placed(int N);
            [EventListener] public sealed class Plain : IEventListener<Placed> { public ValueTask HandleAsync(Placed e, CancellationToken ct) => default; }
            [EventListener] public sealed class Internal : IEventListener<Placed>
            {
                internal Internal() { }
                public ValueTask HandleAsync(Placed e, CancellationToken ct) => default;
            }

            """, """
            internal static class Program
            {
                public static void Run() => _ = new EventRouter.Generated.EventDispatcher();
            }
            """);

        Assert.Empty(found);
    }
}
