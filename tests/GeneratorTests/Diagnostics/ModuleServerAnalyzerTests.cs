using System.Threading.Tasks;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Tests.Modules;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Tests.Diagnostics;

/// <summary>ER0100–ER0106: each fires where it is marked, with its severity, and stays silent on the valid neighbour.</summary>
public sealed class ModuleServerAnalyzerTests
{
    private const string Usings = "using System.Threading; using System.Threading.Tasks; using EventRouter; using EventRouter.Modules;\n";

    private static Task VerifyAsync(string source) => AnalyzerVerifier<ModuleServerAnalyzer>.VerifyAsync(Usings + source);

    [Fact]
    public async Task ValidModule_ReportsNothing()
    {
        await VerifyAsync(ModuleSources.Inventory.Replace("using EventRouter.Modules;", string.Empty));
        await VerifyAsync(ModuleSources.GlobalInternal.Replace("using EventRouter.Modules;", string.Empty));
    }

    [Fact]
    public Task ER0100_ModuleNotPartial_Reported() =>
        VerifyAsync("[ModuleServer] public sealed class {|ER0100:Plain|} : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }");

    [Fact]
    public Task ER0100_PartialModuleAndUnattributedPlainClass_Silent() =>
        VerifyAsync("""
            [ModuleServer] public sealed partial class A : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }
            public sealed class B : IRequestHandler<int, int> { public ValueTask<int> HandleAsync(int r, CancellationToken c) => new(r); }
            """);

    [Fact]
    public Task ER0101_SameRequestTypeTwice_Reported() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class {|ER0101:Twice|} : IRequestHandler<Q, int>, IRequestHandler<Q, string>
            {
                ValueTask<int> IRequestHandler<Q, int>.HandleAsync(Q r, CancellationToken c) => new(1);
                ValueTask<string> IRequestHandler<Q, string>.HandleAsync(Q r, CancellationToken c) => new("1");
            }
            """);

    [Fact]
    public Task ER0101_SameTypeAsRequestAndCommand_Silent() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Both : IRequestHandler<Q, int>, ICommandHandler<Q>
            {
                public ValueTask<int> HandleAsync(Q r, CancellationToken c) => new(1);
                ValueTask ICommandHandler<Q>.HandleAsync(Q r, CancellationToken c) => default;
            }
            """);

    [Fact]
    public Task ER0106_SameStreamRequestTypeTwice_Reported() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class {|ER0106:Twice|} : IStreamRequestHandler<Q, int>, IStreamRequestHandler<Q, string>
            {
                System.Collections.Generic.IAsyncEnumerable<int> IStreamRequestHandler<Q, int>.HandleAsync(Q r, CancellationToken c) => throw null!;
                System.Collections.Generic.IAsyncEnumerable<string> IStreamRequestHandler<Q, string>.HandleAsync(Q r, CancellationToken c) => throw null!;
            }
            """);

    [Fact]
    public Task ER0106_SameTypeAsRequestAndStreamRequest_Reported() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class {|ER0106:Both|} : IRequestHandler<Q, int>, IStreamRequestHandler<Q, int>
            {
                public ValueTask<int> HandleAsync(Q r, CancellationToken c) => new(1);
                System.Collections.Generic.IAsyncEnumerable<int> IStreamRequestHandler<Q, int>.HandleAsync(Q r, CancellationToken c) => throw null!;
            }
            """);

    [Fact]
    public Task ER0106_StreamRequestAndCommandOfOneType_Silent() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Fine : IStreamRequestHandler<Q, int>, ICommandHandler<Q>
            {
                public System.Collections.Generic.IAsyncEnumerable<int> HandleAsync(Q r, CancellationToken c) => throw null!;
                ValueTask ICommandHandler<Q>.HandleAsync(Q r, CancellationToken c) => default;
            }
            """);

    [Fact]
    public Task ER0104_ModuleThatOnlyStreams_Silent() =>
        VerifyAsync("""
            [ModuleServer] public sealed partial class OnlyStreams : IStreamRequestHandler<int, int>
            {
                public System.Collections.Generic.IAsyncEnumerable<int> HandleAsync(int r, CancellationToken c) => throw null!;
            }
            """);

    [Theory]
    [InlineData("[ModuleServer] public sealed partial class {|ER0102:G|}<T> : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }")]
    [InlineData("[ModuleServer] public abstract partial class {|ER0102:A|} : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }")]
    [InlineData("public static partial class Outer { [ModuleServer] public sealed partial class {|ER0102:N|} : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; } }")]
    [InlineData("[ModuleServer] public sealed partial record {|ER0102:R|} : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }")]
    public Task ER0102_UnsupportedClassShape_Reported(string source) => VerifyAsync(source);

    [Fact]
    public Task ER0103_HandleAsyncThatImplementsNoHandler_Reported() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Wrong : IRequestHandler<Q, int>
            {
                public ValueTask<int> HandleAsync(Q r, CancellationToken c) => new(1);
                public Task<string> {|ER0103:HandleAsync|}(string r) => Task.FromResult(r);
            }
            """);

    [Fact]
    public Task ER0103_EveryHandleAsyncImplementsAHandler_Silent() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Right : IRequestHandler<Q, int>, ICommandHandler<string>
            {
                public ValueTask<int> HandleAsync(Q r, CancellationToken c) => new(1);
                public ValueTask HandleAsync(string r, CancellationToken c) => default;
                private int Handle(int x) => x;
            }
            """);

    [Fact]
    public Task ER0103_StreamHandleAsyncImplementsAHandler_Silent() =>
        VerifyAsync("""
            public sealed record Q;
            [ModuleServer] public sealed partial class Right : IStreamRequestHandler<Q, int>
            {
                public async System.Collections.Generic.IAsyncEnumerable<int> HandleAsync(Q r, CancellationToken c) { await Task.Yield(); yield return 1; }
            }
            """);

    [Fact]
    public Task ER0104_ModuleWithoutHandlers_Reported() =>
        VerifyAsync("[ModuleServer] public sealed partial class {|ER0104:Empty|} { }");

    [Fact]
    public Task ER0104_ModuleWithInheritedHandler_Silent() =>
        VerifyAsync("""
            public class Base : ICommandHandler<int> { public ValueTask HandleAsync(int c, CancellationToken t) => default; }
            [ModuleServer] public sealed partial class Derived : Base { }
            """);

    [Fact]
    public Task ER0104_ModuleWithInternalMessageType_Silent() =>
        VerifyAsync("""
            internal sealed record Visible;
            [ModuleServer] public sealed partial class Fine : ICommandHandler<Visible> { ValueTask ICommandHandler<Visible>.HandleAsync(Visible c, CancellationToken t) => default; }
            """);

    [Fact]
    public Task Diagnostics_PragmaSuppression_Honored() =>
        VerifyAsync("#pragma warning disable ER0104\n[ModuleServer] public sealed partial class Empty { }\n#pragma warning restore ER0104");

    [Fact]
    public void Diagnostics_HaveHelpLinksToTheirDocsSection()
    {
        foreach (var descriptor in new ModuleServerAnalyzer().SupportedDiagnostics)
        {
            Assert.EndsWith("docs/diagnostics.md#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
        }
    }

    [Theory]
    [InlineData("ER0100", DiagnosticSeverity.Error)]
    [InlineData("ER0101", DiagnosticSeverity.Error)]
    [InlineData("ER0102", DiagnosticSeverity.Error)]
    [InlineData("ER0103", DiagnosticSeverity.Warning)]
    [InlineData("ER0104", DiagnosticSeverity.Warning)]
    [InlineData("ER0106", DiagnosticSeverity.Error)]
    public void Diagnostics_HaveTheirSeverity(string id, DiagnosticSeverity severity) =>
        Assert.Equal(severity, System.Linq.Enumerable.Single(new ModuleServerAnalyzer().SupportedDiagnostics, d => d.Id == id).DefaultSeverity);
}
