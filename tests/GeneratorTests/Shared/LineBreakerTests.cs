using System.Linq;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis.CSharp;

namespace EventRouter.Generator.Tests.Shared;

/// <summary>Long generated lines are broken into short ones without changing the code.</summary>
public sealed class LineBreakerTests
{
    [Theory]
    [InlineData("public override global::System.Threading.Tasks.ValueTask InvokeAsync(object @event, int listenerIndex, global::System.IServiceProvider? services, global::System.Threading.CancellationToken cancellationToken) => InvokeTypedAsync(global::System.Runtime.CompilerServices.Unsafe.As<global::App.Paid>(@event), listenerIndex, services, cancellationToken);")]
    [InlineData("if (typeof(TEvent) == typeof(global::App.Orders.OrderPlaced)) return PublishAsync(global::System.Runtime.CompilerServices.Unsafe.As<TEvent, global::App.Orders.OrderPlaced>(ref @event), cancellationToken);")]
    [InlineData("try { pending = Audit_Listener.HandleAsync((global::App.Orders.IOrderEvent)@event, cancellationToken); } catch (global::System.Exception ex) { return ContinueAfterThrowAsync(_orderPlacedRoute, @event, ex, 0, cancellationToken); }")]
    [InlineData("global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAdd(services, global::Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton<global::EventRouter.IEventPublisher>(static sp => global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<global::EventRouter.Generated.EventDispatcher>(sp)));")]
    [InlineData("[assembly: global::EventRouter.EventRouterAssembly(new global::System.Type[] { typeof(global::App.DomainLog), typeof(global::App.Everything), typeof(global::App.ShipmentLog) }, new global::System.Type[] { typeof(global::App.Delivered), typeof(global::App.Heartbeat) })]")]
    [InlineData("case 1: return _dispatcher._orderPlaced_AuditChain.Invoke_Logging_Filter(@event, services, cancellationToken, \"a, (b\", ',', x < y, y > x);")]
    public void LongLine_ShortLines_SameTokens(string line)
    {
        var pieces = LineBreaker.Break(line, 12, 100);

        Assert.True(pieces.Count > 1);
        Assert.All(pieces, p => Assert.True(12 + p.Depth * 4 + p.Text.Length <= 100 || !p.Text.Contains(' '), p.Text));
        Assert.Equal(Tokens(line), Tokens(string.Join("\n", pieces.Select(p => new string(' ', p.Depth * 4) + p.Text))));
    }

    [Fact]
    public void LongStringLiteral_PiecesJoinedWithPlus_SameValue()
    {
        const string line = "public const string Mermaid = \"flowchart LR\\n    E0[\\\"App.Paid\\\"]\\n    L0([\\\"App.Ledger\\\"])\\n    E0 --> L0\\n\";";

        var pieces = LineBreaker.Break(line, 8, 40);
        var joined = string.Join("\n", pieces.Select(p => p.Text));

        var value = CSharpSyntaxTree.ParseText("class C { " + joined + " }").GetRoot().DescendantNodes()
            .OfType<Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax>().Single().Initializer!.Value;
        var original = CSharpSyntaxTree.ParseText("class C { " + line + " }").GetRoot().DescendantNodes()
            .OfType<Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax>().Single().Token.ValueText;
        Assert.Equal(original, string.Concat(value.DescendantNodesAndSelf().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax>().Select(l => l.Token.ValueText)));
        Assert.True(pieces.Count > 2);
    }

    [Fact]
    public void ShortLine_Unchanged() =>
        Assert.Equal(new[] { (0, "return default;") }, LineBreaker.Break("return default;", 8, 160));

    private static string[] Tokens(string code) => SyntaxFactory.ParseTokens(code).Select(t => t.Text).ToArray();
}
