using System.Collections.Generic;
using System.Linq;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Tests.Listeners;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Tests.Diagnostics;

/// <summary>ER0010: publish sites of event types that no listener can receive.</summary>
public sealed class PublishSiteAnalyzerTests
{
    private const string Model = """
        namespace App;

        public interface IDomainEvent { }
        public sealed record Listened(int N);
        public sealed record Orphan(int N);
        public sealed record Audited(int N) : IDomainEvent;
        public abstract record Shipment;
        public sealed record Shipped : Shipment;

        [EventListener] public sealed class L1 : IEventListener<Listened> { public ValueTask HandleAsync(Listened e, CancellationToken ct) => default; }
        [EventListener] public sealed class L2 : IEventListener<IDomainEvent> { public ValueTask HandleAsync(IDomainEvent e, CancellationToken ct) => default; }
        [EventListener] public sealed class L3 : IEventListener<Shipped> { public ValueTask HandleAsync(Shipped e, CancellationToken ct) => default; }

        """;

    /// <summary>Runs the generator first (so the generated EventDispatcher exists), then the analyzer; returns the reported arguments.</summary>
    private static List<(string Argument, DiagnosticSeverity Severity)> Analyze(string body, IEnumerable<MetadataReference>? references = null, ReportDiagnostic? option = null)
    {
        var compilation = GeneratorHarness.Compile("App", references, Sources.Usings + Model + body);
        if (option is { } o)
        {
            compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
                compilation.Options.SpecificDiagnosticOptions.SetItem("ER0010", o)));
        }
        var (output, _, _) = GeneratorHarness.Run(compilation, new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        return GeneratorHarness.Analyze(output, new PublishSiteAnalyzer())
            .Select(d => (d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan), d.Severity))
            .ToList();
    }

    [Fact]
    public void PublishOfUnlistenedType_ThroughEveryEntryPoint_Reported()
    {
        var found = Analyze("""
            internal static class Publisher
            {
                public static async Task Run(IEventPublisher p, EventDispatcherBase b, EventRouter.Generated.EventDispatcher d)
                {
                    await p.PublishAsync(new Orphan(1));
                    await b.PublishAsync<Orphan>(new Orphan(2));
                    await d.PublishAsync(new Orphan(3));
                }
            }
            """);
        Assert.Equal(
            new[] { ("new Orphan(1)", DiagnosticSeverity.Info), ("new Orphan(2)", DiagnosticSeverity.Info), ("new Orphan(3)", DiagnosticSeverity.Info) },
            found);
    }

    [Fact]
    public void EnqueueOnTheDispatchLoop_UnlistenedType_Reported()
    {
        var found = Analyze("""
            internal static class Producer
            {
                public static async Task Run(EventRouter.DispatchLoop.EventDispatchLoop loop)
                {
                    await loop.EnqueueAsync(new Orphan(1));
                    loop.TryEnqueue(new Orphan(2));
                    await loop.EnqueueAsync(new Listened(3));
                }
            }
            """);
        Assert.Equal(new[] { ("new Orphan(1)", DiagnosticSeverity.Info), ("new Orphan(2)", DiagnosticSeverity.Info) }, found);
    }

    [Fact]
    public void ListenerOfTheType_BaseInterface_OrSubtype_Silent()
    {
        var found = Analyze("""
            internal static class Publisher
            {
                public static async Task Run(IEventPublisher p, EventRouter.Generated.EventDispatcher d, IDomainEvent some, Shipment shipment)
                {
                    await p.PublishAsync(new Listened(1));
                    await d.PublishAsync(new Listened(2));
                    await p.PublishAsync(new Audited(3));   // via IEventListener<IDomainEvent>
                    await p.PublishAsync(some);
                    await p.PublishAsync(shipment);         // may be a Shipped at run time
                }
            }
            """);
        Assert.Empty(found);
    }

    [Fact]
    public void ObjectOrTypeParameterTypedPublish_Silent()
    {
        var found = Analyze("""
            internal static class Publisher
            {
                public static async Task Run(IEventPublisher p, object e) => await p.PublishAsync(e);
                public static async Task Run<T>(IEventPublisher p, T e) => await p.PublishAsync(e);
                public static async Task Boxed(IEventPublisher p) => await p.PublishAsync((object)new Orphan(1));
            }
            """);
        Assert.Empty(found);
    }

    [Fact]
    public void OtherMethodsNamedPublishAsync_Silent()
    {
        var found = Analyze("""
            public sealed class Bus { public Task PublishAsync(Orphan e) => Task.CompletedTask; }
            public static class Publisher { public static Task Run(Bus bus) => bus.PublishAsync(new Orphan(1)); }
            """);
        Assert.Empty(found);
    }

    [Fact]
    public void ListenerInReferencedAssembly_Silent()
    {
        var library = GeneratorHarness.Compile("Library", (IEnumerable<MetadataReference>?)null, Sources.Usings + """
            namespace Lib;
            public sealed record FromLibrary(int N);
            [EventListener] public sealed class LibraryListener : IEventListener<FromLibrary> { public ValueTask HandleAsync(FromLibrary e, CancellationToken ct) => default; }
            """);
        var (libraryOutput, _, _) = GeneratorHarness.Run(library, new EventRouterGenerator());
        var reference = GeneratorHarness.ToReference(libraryOutput);

        var found = Analyze("""
            internal static class Publisher
            {
                public static async Task Run(IEventPublisher p)
                {
                    await p.PublishAsync(new Lib.FromLibrary(1));
                    await p.PublishAsync(new Orphan(1));
                }
            }
            """, new[] { reference });

        Assert.Equal(new[] { ("new Orphan(1)", DiagnosticSeverity.Info) }, found);
    }

    [Fact]
    public void Severity_IsConfigurable_AndCanBeTurnedOff()
    {
        const string body = "public static class Publisher { public static async Task Run(IEventPublisher p) => await p.PublishAsync(new Orphan(1)); }";

        Assert.Equal(new[] { ("new Orphan(1)", DiagnosticSeverity.Warning) }, Analyze(body, option: ReportDiagnostic.Warn));
        Assert.Empty(Analyze(body, option: ReportDiagnostic.Suppress));
    }
}
