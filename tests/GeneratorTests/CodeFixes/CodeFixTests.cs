using System.Linq;
using System.Threading.Tasks;
using EventRouter.CodeFixes;
using EventRouter.Generator.Diagnostics.Analyzers;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Tests.Listeners;
using EventRouter.Modules;

namespace EventRouter.Generator.Tests.CodeFixes;

public sealed class CodeFixTests
{
    private const string Events = """
        public sealed record OrderPlaced(string Id);
        [Event("orders.shipped")] public sealed class OrderShipped { }
        public sealed class NotAnEvent { }

        """;

    [Fact]
    public async Task ER0001_OffersOneFixPerEventTypeInTheFile()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events + "[EventListener] public sealed class Audit { }\n");

        var actions = await CodeFixHarness.ActionsAsync(document, new AddListenerInterfaceCodeFix(), "ER0001");

        // The [Event]-marked type first: it is an event for sure, a record may be anything.
        Assert.Equal(new[] { "Implement IEventListener<OrderShipped>", "Implement IEventListener<OrderPlaced>" }, actions.Select(a => a.Title));
    }

    [Fact]
    public async Task ER0001_AddInterface_CompilesAndDiagnosticIsGone()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events + "[EventListener]\npublic sealed class Audit\n{\n}\n");

        var action = (await CodeFixHarness.ActionsAsync(document, new AddListenerInterfaceCodeFix(), "ER0001"))
            .Single(a => a.Title == "Implement IEventListener<OrderPlaced>");
        var fixedDocument = await CodeFixHarness.ApplyAsync(document, action);

        var text = (await fixedDocument.GetTextAsync()).ToString();
        Assert.Contains("public sealed class Audit : IEventListener<OrderPlaced>", text);
        Assert.Contains("public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)", text);
        Assert.Contains("throw new NotImplementedException();", text);
        Assert.Empty(await CodeFixHarness.AnalyzeAsync(fixedDocument));
        await CodeFixHarness.AssertCompilesAsync(fixedDocument);
    }

    [Fact]
    public async Task ER0001_ExistingBaseList_AppendsInterface()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events
            + "public interface IAudit { }\n[EventListener] public sealed class Audit : IAudit { }\n");

        var action = (await CodeFixHarness.ActionsAsync(document, new AddListenerInterfaceCodeFix(), "ER0001"))
            .Single(a => a.Title == "Implement IEventListener<OrderShipped>");
        var fixedDocument = await CodeFixHarness.ApplyAsync(document, action);

        Assert.Contains("Audit : IAudit, IEventListener<OrderShipped>", (await fixedDocument.GetTextAsync()).ToString());
        Assert.Empty(await CodeFixHarness.AnalyzeAsync(fixedDocument));
        await CodeFixHarness.AssertCompilesAsync(fixedDocument);
    }

    [Fact]
    public async Task ER0001_NoEventTypeInFile_OffersObjectListener()
    {
        // No usings for the runtime namespaces: the fix must produce names that compile anyway.
        var document = CodeFixHarness.CreateDocument("namespace App;\n[EventRouter.EventListener] public sealed class Audit { }\n");

        var action = Assert.Single(await CodeFixHarness.ActionsAsync(document, new AddListenerInterfaceCodeFix(), "ER0001"));
        Assert.Equal("Implement IEventListener<object> (receives every event)", action.Title);
        var fixedDocument = await CodeFixHarness.ApplyAsync(document, action);

        Assert.Empty(await CodeFixHarness.AnalyzeAsync(fixedDocument));
        await CodeFixHarness.AssertCompilesAsync(fixedDocument);
    }

    [Fact]
    public async Task ER0002_AbstractListener_BecomesConcrete()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events
            + "[EventListener]\n// keeps this comment\npublic abstract class Audit : IEventListener<OrderPlaced>\n{\n    public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default;\n}\n");

        var action = Assert.Single(await CodeFixHarness.ActionsAsync(document, new MakeListenerConcreteCodeFix(), "ER0002"));
        var fixedDocument = await CodeFixHarness.ApplyAsync(document, action);

        var text = (await fixedDocument.GetTextAsync()).ToString();
        Assert.Contains("// keeps this comment\npublic class Audit : IEventListener<OrderPlaced>", text);
        Assert.Empty(await CodeFixHarness.AnalyzeAsync(fixedDocument));
        await CodeFixHarness.AssertCompilesAsync(fixedDocument);
    }

    [Fact]
    public async Task ER0002_AbstractMembersOrGeneric_NoFixOffered()
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "namespace App;\n" + Events
            + "[EventListener] public abstract class WithAbstract : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; protected abstract void M(); }\n");

        Assert.Empty(await CodeFixHarness.ActionsAsync(document, new MakeListenerConcreteCodeFix(), "ER0002"));
    }

    [Theory]
    [InlineData("[ModuleServer]\npublic sealed class Counter : IRequestHandler<Get, int>", "public sealed partial class Counter : IRequestHandler<Get, int>")]
    [InlineData("[ModuleServer]\n// the counter\nclass Counter : IRequestHandler<Get, int>", "// the counter\npartial class Counter : IRequestHandler<Get, int>")]
    public async Task ER0100_ModuleNotPartial_BecomesPartial_AndItsClientIsGenerated(string declaration, string expected)
    {
        var document = CodeFixHarness.CreateDocument(Sources.Usings + "using EventRouter.Modules;\nnamespace App;\npublic sealed record Get;\n"
            + declaration + "\n{\n    private int _n;\n    public ValueTask<int> HandleAsync(Get request, CancellationToken ct) => new(++_n);\n}\n"
            + "internal static class UsesClient { public static ValueTask<int> Ask(CounterClient c) => c.RequestAsync(new Get()); }\n");
        var analyzer = new ModuleServerAnalyzer();

        var action = Assert.Single(await CodeFixHarness.ActionsAsync(document, new MakeModulePartialCodeFix(), "ER0100", analyzer));
        var fixedDocument = await CodeFixHarness.ApplyAsync(document, action);

        Assert.Contains(expected, (await fixedDocument.GetTextAsync()).ToString());
        Assert.Empty(await CodeFixHarness.AnalyzeAsync(fixedDocument, analyzer));
        await CodeFixHarness.AssertCompilesAsync(fixedDocument, new EventRouterGenerator(), new EventRouter.Generator.Modules.ModuleServerGenerator());
    }
}
