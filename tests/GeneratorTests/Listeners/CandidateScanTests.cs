using System;
using System.Linq;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Tests.Listeners;

/// <summary>
/// Events that reach a listener only through a base class or interface are found by a syntax-first scan: these
/// cases are the ones a name-only pre-filter could miss, and the IDE case where a cached file must not hide a change
/// made in another one.
/// </summary>
public sealed class CandidateScanTests
{
    private const string DomainLog = Sources.Usings + """
        namespace App;
        [EventListener] public sealed class DomainLog : IEventListener<IDomainEvent> { public ValueTask HandleAsync(IDomainEvent e, CancellationToken ct) => default; }
        """;

    [Fact]
    public void ChainAcrossFiles_ReachesTheListenerOfTheFirstInterface()
    {
        var dispatcher = Dispatcher(
            DomainLog,
            "namespace App; public interface IDomainEvent { }",
            "namespace App; public interface IOrderEvent : IDomainEvent { }",
            "namespace App; public abstract record OrderBase : IOrderEvent;",
            "namespace App.Orders; public sealed record Placed(int Id) : App.OrderBase;");

        Assert.True(HasTypedPublish(dispatcher, "App.Orders.Placed"));
    }

    [Fact]
    public void BaseNamedThroughAUsingAlias_IsFound()
    {
        var dispatcher = Dispatcher(
            DomainLog,
            "namespace App; public interface IDomainEvent { }",
            "using Domain = App.IDomainEvent; namespace Other; public sealed class Shipped : Domain { }",
            "global using Audited = App.IDomainEvent;",
            "namespace Other; public sealed class Returned : Audited { }");

        Assert.True(HasTypedPublish(dispatcher, "Other.Shipped"));
        Assert.True(HasTypedPublish(dispatcher, "Other.Returned"));
    }

    [Fact]
    public void BaseClassFromAReferencedLibrary_ThatImplementsTheListenedInterface_IsFound()
    {
        // No source file declares LibraryEvent: the scan cannot see by name that it implements IDomainEvent, so it binds.
        var library = GeneratorHarness.Compile("Library", Array.Empty<MetadataReference>(),
            "namespace Lib; public interface IDomainEvent { } public abstract class LibraryEvent : IDomainEvent { }");
        var app = GeneratorHarness.Compile("App", new[] { GeneratorHarness.ToReference(library) },
            DomainLog.Replace("IDomainEvent", "Lib.IDomainEvent", StringComparison.Ordinal),
            "namespace App; public sealed class Refunded : Lib.LibraryEvent { }");

        var (output, result, _) = GeneratorHarness.Run(app, new EventRouterGenerator());

        GeneratorHarness.AssertClean(output);
        Assert.True(HasTypedPublish(GeneratorHarness.GeneratedSource(result, "EventDispatcher.g.cs"), "App.Refunded"));
    }

    [Fact]
    public void EditingAnotherFile_ThatRemovesTheInterface_RemovesTheRoute_EvenThoughTheEventsFileIsCached()
    {
        var compilation = GeneratorHarness.Compile(
            DomainLog,
            "namespace App; public interface IDomainEvent { }",
            "namespace App; public class Middle : IDomainEvent { }",
            "namespace App; public sealed class Leaf : Middle { }");
        var driver = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(compilation);
        Assert.True(HasTypedPublish(Dispatcher(driver), "App.Leaf"));

        var middle = compilation.SyntaxTrees.Single(t => t.ToString().Contains("class Middle", StringComparison.Ordinal));
        var edited = compilation.ReplaceSyntaxTree(middle, CSharpSyntaxTree.ParseText(
            "namespace App; public class Middle { }", GeneratorHarness.ParseOptions, middle.FilePath));
        driver = driver.RunGenerators(edited);

        var result = driver.GetRunResult().Results.Single();
        Assert.False(HasTypedPublish(Dispatcher(driver), "App.Leaf"));
        // Only the edited file was read again.
        var files = result.TrackedSteps[TrackingNames.FileShapes].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(1, files.Count(o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New));
        Assert.Equal(files.Count - 1, files.Count(o => o.Reason == IncrementalStepRunReason.Cached));
    }

    [Fact]
    public void NoListenerOfATypeWithSubtypes_NothingIsBound()
    {
        var compilation = GeneratorHarness.Compile(Sources.Usings + """
            namespace App;
            public sealed record Placed(int Id) : IComparable<Placed> { public int CompareTo(Placed? other) => 0; }
            public class Controller : System.Exception { }
            [EventListener] public sealed class Audit : IEventListener<Placed> { public ValueTask HandleAsync(Placed e, CancellationToken ct) => default; }
            """);

        var result = GeneratorHarness.CreateDriver(new EventRouterGenerator()).RunGenerators(compilation).GetRunResult().Results.Single();

        var names = result.TrackedSteps[TrackingNames.CandidateNames].SelectMany(s => s.Outputs).Select(o => (EquatableArray<string>)o.Value).Single();
        Assert.Empty(names);
    }

    [Theory]
    [InlineData(new[] { "IDomainEvent" }, "Placed,Shipped", "Placed")] // Shipped: a declared base that reaches nothing
    [InlineData(new[] { "IOther" }, "Placed,Shipped", "")]
    public void CandidateNames_FollowDeclaredBasesTransitively(string[] listened, string declared, string expected)
    {
        var file = EventRouterGenerator.CandidateScan.ReadFile(CSharpSyntaxTree.ParseText("""
            namespace App;
            public interface IDomainEvent { }
            public interface IOrderEvent : IDomainEvent { }
            public sealed class Placed : IOrderEvent { }
            public class Unrelated { }
            public sealed class Shipped : Unrelated { }
            public interface IOther { }
            """, GeneratorHarness.ParseOptions), default);

        var names = EventRouterGenerator.CandidateScan.CandidateNames(System.Collections.Immutable.ImmutableArray.Create(file), listened.ToEquatableArray());

        Assert.Equal(expected, string.Join(",", names));
        Assert.All(declared.Split(','), d => Assert.Contains(d, file.DeclaredNames));
    }

    [Theory]
    [InlineData("global::App.IDomainEvent", "IDomainEvent")]
    [InlineData("global::App.Outer<global::App.X>.IEnvelope<int>", "IEnvelope")]
    [InlineData("global::App.@event", "event")]
    [InlineData("global::Root", "Root")]
    public void SimpleName_OfAGeneratedFullName(string fullName, string expected) =>
        Assert.Equal(expected, EventRouterGenerator.CandidateScan.SimpleName(fullName));

    private static string Dispatcher(params string[] sources)
    {
        var (output, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(sources), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        return GeneratorHarness.GeneratedSource(result, "EventDispatcher.g.cs");
    }

    /// <summary>Whether the dispatcher has a typed publish of the event (its namespace may be written through an alias).</summary>
    private static bool HasTypedPublish(string dispatcher, string fullName) =>
        System.Text.RegularExpressions.Regex.IsMatch(dispatcher, @"PublishAsync\([\w.]*\b" + fullName[(fullName.LastIndexOf('.') + 1)..] + " @event");

    private static string Dispatcher(GeneratorDriver driver) =>
        GeneratorHarness.GeneratedSource(driver.GetRunResult(), "EventDispatcher.g.cs");
}
