using System.Linq;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Tests.Listeners;

namespace EventRouter.Generator.Tests.Diagnostics;

/// <summary>One test per diagnostic: it fires where it should and stays silent on the valid neighbour.</summary>
public sealed class ListenerAnalyzerTests
{
    private static (string Id, int Line)[] Analyze(string body)
    {
        var compilation = GeneratorHarness.Compile(Sources.Usings + "namespace App;\npublic sealed record Good(int N);\n" + body);
        return GeneratorHarness.Analyze(compilation, new ListenerAnalyzer())
            .Select(d => (d.Id, d.Location.GetLineSpan().StartLinePosition.Line - 6))
            .ToArray();
    }

    private const string Valid = "[EventListener] public sealed class Valid : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n";

    [Fact]
    public void ER0001_ListenerWithoutInterface()
    {
        var found = Analyze(Valid + "[EventListener] public sealed class Nothing { }");
        Assert.Equal(new[] { ("ER0001", 1) }, found);
    }

    [Fact]
    public void ER0002_AbstractStaticOrGenericListener()
    {
        var found = Analyze(Valid
            + "[EventListener] public abstract class Abstract : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "[EventListener] public sealed class Generic<T> : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "public class Outer<T> { [EventListener] public sealed class InGeneric : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; } }");
        Assert.Equal(new[] { ("ER0002", 1), ("ER0002", 2), ("ER0002", 3) }, found);
    }

    [Fact]
    public void ER0003_InaccessibleListener()
    {
        var found = Analyze(Valid
            + "public class Outer { [EventListener] private sealed class Hidden : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "[EventListener] internal sealed class Visible : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; } }");
        Assert.Equal(new[] { ("ER0003", 1) }, found);
    }

    [Fact]
    public void ER0004_NoUsableConstructor()
    {
        var found = Analyze(Valid
            + "[EventListener] public sealed class PrivateCtor : IEventListener<Good> { private PrivateCtor() { } public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "[EventListener] public sealed class DiCtor : IEventListener<Good> { public DiCtor(System.IServiceProvider sp) { } public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }");
        Assert.Equal(new[] { ("ER0004", 1) }, found);
    }

    [Fact]
    public void ER0005_EventTypeTheGeneratedCodeCannotName()
    {
        var found = Analyze(Valid
            + "public class Outer { private sealed record Secret(int N);\n"
            + "[EventListener] public sealed class ListensToSecret : IEventListener<Secret>, IEventListener<Good> { ValueTask IEventListener<Secret>.HandleAsync(Secret e, CancellationToken ct) => default; public ValueTask HandleAsync(Good e, CancellationToken ct) => default; } }");
        Assert.Equal(new[] { ("ER0005", 2) }, found);
    }

    [Fact]
    public void Diagnostics_HaveHelpLinksToTheirDocsSection()
    {
        foreach (var descriptor in new ListenerAnalyzer().SupportedDiagnostics)
        {
            Assert.EndsWith("docs/diagnostics.md#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
        }
    }

    [Fact]
    public void Diagnostics_CanBeSuppressedWithPragma()
    {
        var found = Analyze("#pragma warning disable ER0001\n[EventListener] public sealed class Nothing { }\n#pragma warning restore ER0001");
        Assert.Empty(found);
    }
}
