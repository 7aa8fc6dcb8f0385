using System.Threading.Tasks;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Tests.Listeners;

namespace EventRouter.Generator.Tests.Diagnostics;

/// <summary>One test per diagnostic: it fires where it is marked and stays silent on the valid neighbour.</summary>
public sealed class ListenerAnalyzerTests
{
    private const string Valid = "[EventListener] public sealed class Valid : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n";

    private static Task VerifyAsync(string body) =>
        AnalyzerVerifier<ListenerAnalyzer>.VerifyAsync(Sources.Usings + "namespace App;\npublic sealed record Good(int N);\n" + Valid + body);

    [Fact]
    public Task ER0001_ListenerWithoutInterface() =>
        VerifyAsync("[{|ER0001:EventListener|}] public sealed class Nothing { }");

    [Fact]
    public Task ER0002_AbstractStaticOrGenericListener() =>
        VerifyAsync(
            "[{|ER0002:EventListener|}] public abstract class Abstract : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "[{|ER0002:EventListener|}] public sealed class Generic<T> : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "public class Outer<T> { [{|ER0002:EventListener|}] public sealed class InGeneric : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; } }");

    [Fact]
    public Task ER0003_InaccessibleListener() =>
        VerifyAsync(
            "public class Outer { [{|ER0003:EventListener|}] private sealed class Hidden : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "[EventListener] internal sealed class Visible : IEventListener<Good> { public ValueTask HandleAsync(Good e, CancellationToken ct) => default; } }");

    [Fact]
    public Task ER0004_NoUsableConstructor() =>
        VerifyAsync(
            "[{|ER0004:EventListener|}] public sealed class PrivateCtor : IEventListener<Good> { private PrivateCtor() { } public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }\n"
            + "[EventListener] public sealed class DiCtor : IEventListener<Good> { public DiCtor(System.IServiceProvider sp) { } public ValueTask HandleAsync(Good e, CancellationToken ct) => default; }");

    [Fact]
    public Task ER0005_EventTypeTheGeneratedCodeCannotName() =>
        VerifyAsync(
            "public class Outer { private sealed record Secret(int N);\n"
            + "[{|ER0005:EventListener|}] public sealed class ListensToSecret : IEventListener<Secret>, IEventListener<Good> { ValueTask IEventListener<Secret>.HandleAsync(Secret e, CancellationToken ct) => default; public ValueTask HandleAsync(Good e, CancellationToken ct) => default; } }");

    [Fact]
    public void Diagnostics_HaveHelpLinksToTheirDocsSection()
    {
        foreach (var descriptor in new ListenerAnalyzer().SupportedDiagnostics)
        {
            Assert.EndsWith("docs/diagnostics.md#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
        }
    }

    [Fact]
    public Task Diagnostics_CanBeSuppressedWithPragma() =>
        VerifyAsync("#pragma warning disable ER0001\n[EventListener] public sealed class Nothing { }\n#pragma warning restore ER0001");
}
