using System.Collections.Generic;
using System.Linq;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Tests.Infrastructure;
using EventRouter.Modules;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Tests.Modules;

public sealed class ModuleServerAnalyzerTests
{
    private const string Usings = "using System.Threading; using System.Threading.Tasks; using EventRouter; using EventRouter.Modules;\n";

    private static IReadOnlyList<Diagnostic> Analyze(string source) =>
        GeneratorHarness.Analyze(ModuleServerGeneratorTests.Compile(Usings + source), new ModuleServerAnalyzer())
            .Where(d => d.Id.StartsWith("ER01", System.StringComparison.Ordinal))
            .ToList();

    private static void AssertSingle(string source, string id, string locationText, DiagnosticSeverity severity)
    {
        var diagnostics = Analyze(source);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        var tree = diagnostic.Location.SourceTree!;
        Assert.Equal(locationText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.EndsWith("#" + id.ToLowerInvariant(), diagnostic.Descriptor.HelpLinkUri, System.StringComparison.Ordinal);
    }

    [Fact]
    public void ValidModule_ReportsNothing()
    {
        Assert.Empty(Analyze(ModuleSources.Inventory.Replace("using EventRouter.Modules;", string.Empty)));
        Assert.Empty(Analyze(ModuleSources.GlobalInternal.Replace("using EventRouter.Modules;", string.Empty)));
    }

    [Fact]
    public void ER0100_ModuleNotPartial_Reported()
    {
        AssertSingle("[ModuleServer] public sealed class Plain : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }",
            "ER0100", "Plain", DiagnosticSeverity.Error);
    }

    [Fact]
    public void ER0100_PartialModuleAndUnattributedPlainClass_Silent()
    {
        Assert.Empty(Analyze("""
            [ModuleServer] public sealed partial class A : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }
            public sealed class B : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }
            """));
    }

    [Fact]
    public void ER0101_SameRequestTypeTwice_Reported()
    {
        AssertSingle("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Twice : IRequestHandler<Q, int>, IRequestHandler<Q, string>
            {
                ValueTask<int> IRequestHandler<Q, int>.HandleAsync(Q r, CancellationToken c) => new(1);
                ValueTask<string> IRequestHandler<Q, string>.HandleAsync(Q r, CancellationToken c) => new("1");
            }
            """, "ER0101", "Twice", DiagnosticSeverity.Error);
    }

    [Fact]
    public void ER0101_SameTypeAsRequestAndCommand_Silent()
    {
        Assert.Empty(Analyze("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Both : IRequestHandler<Q, int>, ICommandHandler<Q>
            {
                public ValueTask<int> HandleAsync(Q r, CancellationToken c) => new(1);
                ValueTask ICommandHandler<Q>.HandleAsync(Q r, CancellationToken c) => default;
            }
            """));
    }

    [Theory]
    [InlineData("[ModuleServer] public sealed partial class G<T> : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }", "G")]
    [InlineData("[ModuleServer] public abstract partial class A : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }", "A")]
    [InlineData("public static partial class Outer { [ModuleServer] public sealed partial class N : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; } }", "N")]
    [InlineData("[ModuleServer] public sealed partial record R : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }", "R")]
    public void ER0102_UnsupportedClassShape_Reported(string source, string name)
    {
        AssertSingle(source, "ER0102", name, DiagnosticSeverity.Error);
    }

    [Fact]
    public void ER0103_HandleAsyncThatImplementsNoHandler_Reported()
    {
        AssertSingle("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Wrong : IRequestHandler<Q, int>
            {
                public ValueTask<int> HandleAsync(Q r, CancellationToken c) => new(1);
                public Task<string> HandleAsync(string r) => Task.FromResult(r);
            }
            """, "ER0103", "HandleAsync", DiagnosticSeverity.Warning);
    }

    [Fact]
    public void ER0103_EveryHandleAsyncImplementsAHandler_Silent()
    {
        Assert.Empty(Analyze("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Right : IRequestHandler<Q, int>, ICommandHandler<string>
            {
                public ValueTask<int> HandleAsync(Q r, CancellationToken c) => new(1);
                public ValueTask HandleAsync(string r, CancellationToken c) => default;
                private int Handle(int x) => x;
            }
            """));
    }

    [Fact]
    public void ER0104_ModuleWithoutHandlers_Reported()
    {
        AssertSingle("[ModuleServer] public sealed partial class Empty { }", "ER0104", "Empty", DiagnosticSeverity.Warning);
    }

    [Fact]
    public void ER0104_ModuleWithInheritedHandler_Silent()
    {
        Assert.Empty(Analyze("""
            public class Base : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }
            [ModuleServer] public sealed partial class Derived : Base { }
            """));
    }

    [Fact]
    public void ER0104_ModuleWithInternalMessageType_Silent()
    {
        Assert.Empty(Analyze("""
            internal sealed record Visible;
            [ModuleServer] public sealed partial class Fine : ICommandHandler<Visible> { public ValueTask HandleAsync(Visible c, CancellationToken t) => default; }
            """));
    }

    [Fact]
    public void Diagnostics_PragmaSuppression_Honored()
    {
        var diagnostics = GeneratorHarness.Analyze(
            GeneratorHarness.Compile(Usings + "#pragma warning disable ER0104\n[ModuleServer] public sealed partial class Empty { }\n#pragma warning restore ER0104"),
            new ModuleServerAnalyzer());

        Assert.DoesNotContain(diagnostics, d => d.Id == "ER0104" && !d.IsSuppressed);
    }
}
