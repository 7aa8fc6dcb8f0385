using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using EventRouter.Generator.Listeners;
using EventRouter.Generator.Modules;
using EventRouter.Generator.Shared;
using EventRouter.Generator.Tests.Modules;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Tests.Listeners;

/// <summary>How generated code reads: members named after their types, short lines, marked as generated for debuggers and coverage.</summary>
public sealed class GeneratedNamesTests
{
    private const string SameNames = Sources.Usings + """
        namespace Billing
        {
            public sealed record OrderPlaced(int Id);
            [EventListener] public sealed class Audit : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) { App.Entry.Seen += 1; return default; } }
        }
        namespace Shipping
        {
            public sealed record OrderPlaced(int Id);
            [EventListener] public sealed class Audit : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) { App.Entry.Seen += 10; return default; } }
        }
        namespace App
        {
            public sealed record Envelope<T>(T Value);
            [EventListener] public sealed class EnvelopeListener : IEventListener<Envelope<int>>, IEventListener<Envelope<string>>
            {
                public ValueTask HandleAsync(Envelope<int> e, CancellationToken ct) { Entry.Seen += 100; return default; }
                public ValueTask HandleAsync(Envelope<string> e, CancellationToken ct) { Entry.Seen += 1000; return default; }
            }
            [EventFilter] public sealed class Logging : IEventFilter
            {
                public ValueTask InvokeAsync<TEvent>(TEvent e, ListenerNext<TEvent> next, CancellationToken ct) { Entry.Seen += 10000; return next.InvokeAsync(e, ct); }
            }
            public static class Entry
            {
                public static int Seen;

                public static async Task<int> RunAsync()
                {
                    var dispatcher = new EventRouter.Generated.EventDispatcher();
                    await dispatcher.PublishAsync(new Billing.OrderPlaced(1));
                    await dispatcher.PublishAsync(new Shipping.OrderPlaced(2));
                    await dispatcher.PublishAsync(new Envelope<int>(3));
                    await dispatcher.PublishAsync(new Envelope<string>("4"));
                    return Seen;
                }
            }
        }
        """;

    [Fact]
    public async Task SameNamedTypesInTwoNamespaces_AndConstructedGenerics_GetTheirOwnMembers()
    {
        var (output, _, _) = GeneratorHarness.Run(GeneratorHarness.Compile(SameNames), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        var assembly = GeneratorHarness.Load(output);

        var seen = await ((Task<int>)assembly.GetType("App.Entry")!.GetMethod("RunAsync")!.Invoke(null, null)!).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(41111, seen); // each listener once, every call through the filter
        var dispatcher = assembly.GetType("EventRouter.Generated.EventDispatcher")!;
        var nested = dispatcher.GetNestedTypes(BindingFlags.NonPublic).Select(t => t.Name).ToHashSet();
        Assert.Superset(
            new[] { "BillingOrderPlaced_BillingAudit_Chain", "ShippingOrderPlaced_ShippingAudit_Chain", "EnvelopeOfInt_Envelope_Chain" }.ToHashSet(),
            nested);
        var methods = dispatcher.GetMethods(BindingFlags.NonPublic | BindingFlags.Instance).Select(m => m.Name).ToHashSet();
        Assert.Superset(
            new[] { "BillingOrderPlaced_Invoke", "ShippingOrderPlaced_Invoke", "EnvelopeOfInt_Invoke", "EnvelopeOfString_Invoke" }.ToHashSet(),
            methods);
    }

    [Fact]
    public void NewListener_RenamesNoExistingMember()
    {
        var before = MemberNamesOf(Generate(Sources.ManyListeners));
        var after = MemberNamesOf(Generate(Sources.ManyListeners.Replace(
            "[EventListener] public sealed class C :",
            "[EventListener] public sealed class AaFirst : IEventListener<OrderPlaced> { public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct) => default; }\n[EventListener] public sealed class C :")));

        Assert.Subset(after, before);
        Assert.Contains("AaFirst_Listener", after);
    }

    [Fact]
    public void EveryGeneratedLine_FitsTheLimit()
    {
        var inputs = new[]
        {
            new[] { Sources.Polymorphic }, new[] { Sources.ManyListeners }, new[] { Sources.DiLifetimes }, new[] { Sources.SeveralEventsPerListener },
            new[] { FilterSources.Filtered }, new[] { SameNames }, new[] { ModuleSources.Inventory }, new[] { ModuleSources.Filtered },
        };
        foreach (var sources in inputs)
        {
            var (_, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(sources), new EventRouterGenerator(), new ModuleServerGenerator());
            foreach (var file in result.Results.SelectMany(r => r.GeneratedSources))
            {
                var longest = file.SourceText.Lines.Select(l => l.ToString()).OrderByDescending(l => l.Length).First();
                Assert.True(longest.Length <= SourceWriter.MaxLineLength, $"{file.HintName}: {longest.Length} characters: {longest}");
            }
        }
    }

    [Fact]
    public void GeneratedTypes_AreNonUserCode_TheUsersModuleClassIsNot()
    {
        var (output, _, _) = GeneratorHarness.Run(
            ModuleServerGeneratorTests.Compile(ModuleSources.Filtered), new EventRouterGenerator(), new ModuleServerGenerator());
        GeneratorHarness.AssertClean(output);
        var assembly = GeneratorHarness.Load(output);
        var dispatcher = assembly.GetType("EventRouter.Generated.EventDispatcher")!;
        var generated = new[] { dispatcher, assembly.GetType("EventRouter.Generated.EventMap")!, assembly.GetType("Shop.OrdersClient")! }
            .Concat(dispatcher.GetNestedTypes(BindingFlags.NonPublic))
            .Where(t => !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), inherit: false)) // the compiler's lambda cache
            .ToList();

        Assert.True(generated.Count > 2);
        Assert.All(generated, t =>
        {
            Assert.True(t.IsDefined(typeof(DebuggerNonUserCodeAttribute), inherit: false), t.FullName);
            Assert.True(t.IsDefined(typeof(ExcludeFromCodeCoverageAttribute), inherit: false), t.FullName);
        });
        var module = assembly.GetType("Shop.Orders")!;
        Assert.False(module.IsDefined(typeof(DebuggerNonUserCodeAttribute), inherit: false));
        var registration = module.GetMethods(BindingFlags.NonPublic | BindingFlags.Static).Single(m => m.Name.EndsWith("RegisterModule", StringComparison.Ordinal));
        Assert.True(registration.IsDefined(typeof(DebuggerNonUserCodeAttribute), inherit: false));
    }

    private static string Generate(string source)
    {
        var (output, result, _) = GeneratorHarness.Run(GeneratorHarness.Compile(source), new EventRouterGenerator());
        GeneratorHarness.AssertClean(output);
        return GeneratorHarness.GeneratedSource(result, "EventRouter.EventDispatcher.g.cs");
    }

    /// <summary>The names of the members and nested types the dispatcher declares.</summary>
    private static System.Collections.Generic.HashSet<string> MemberNamesOf(string source) =>
        CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes().Select(n => n switch
        {
            BaseTypeDeclarationSyntax t => t.Identifier.Text,
            MethodDeclarationSyntax m => m.Identifier.Text,
            PropertyDeclarationSyntax p => p.Identifier.Text,
            VariableDeclaratorSyntax v when v.Parent?.Parent is FieldDeclarationSyntax => v.Identifier.Text,
            _ => null,
        }).OfType<string>().ToHashSet();
}
