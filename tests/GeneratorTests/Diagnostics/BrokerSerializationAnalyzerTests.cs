using System.Linq;
using EventRouter.Generator.Diagnostics.Analyzers;

namespace EventRouter.Generator.Tests.Diagnostics;

/// <summary>ER0400: an event that crosses the broker must be in the JSON context configured next to it.</summary>
public sealed class BrokerSerializationAnalyzerTests
{
    // The analyzer matches RabbitMQOptions by metadata name; this is its public configuration surface, declared here
    // so the generator tests need no reference to the RabbitMQ package.
    private const string OptionsSurface = """
        namespace EventRouter.RabbitMQ
        {
            public sealed class RabbitMQOptions
            {
                public System.Text.Json.Serialization.JsonSerializerContext? JsonContext { get; set; }
                public RabbitMQOptions CrossBroker(params string[] eventNames) => this;
                public RabbitMQOptions CrossBroker<TEvent>() => this;
            }
        }
        """;

    private const string Events = """
        using System.Text.Json.Serialization;
        using EventRouter;
        using EventRouter.RabbitMQ;
        namespace App;
        [Event("orders.placed")] public sealed record OrderPlaced(string Id);
        [Event("orders.shipped")] public sealed record OrderShipped(string Id);
        // What System.Text.Json's source generator would complete (it does not run in these tests).
        [JsonSerializable(typeof(OrderPlaced))]
        public sealed class AppJson() : JsonSerializerContext(null)
        {
            public static AppJson Default { get; } = new();
            protected override System.Text.Json.JsonSerializerOptions? GeneratedSerializerOptions => null;
            public override System.Text.Json.Serialization.Metadata.JsonTypeInfo? GetTypeInfo(System.Type type) => null;
        }

        """;

    private static string[] Analyze(string configure)
    {
        var compilation = GeneratorHarness.Compile(OptionsSurface, Events + "public static class Setup { public static void Configure(RabbitMQOptions o) { " + configure + " } }");
        return GeneratorHarness.Analyze(compilation, new BrokerSerializationAnalyzer())
            .Select(d => $"{d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToArray();
    }

    [Fact]
    public void ER0400_EventOptedInByNameMissingFromContext()
    {
        var found = Analyze("""o.JsonContext = AppJson.Default; o.CrossBroker("orders.placed", "orders.shipped");""");
        Assert.Equal(new[] { "ER0400: Event 'orders.shipped' crosses the broker but 'AppJson' cannot serialize it: add [JsonSerializable(typeof(App.OrderShipped))] to 'AppJson'" }, found);
    }

    [Fact]
    public void ER0400_EventOptedInByTypeMissingFromContext()
    {
        var found = Analyze("o.JsonContext = AppJson.Default; o.CrossBroker<OrderPlaced>().CrossBroker<OrderShipped>();");
        Assert.Equal(new[] { "ER0400: Event 'orders.shipped' crosses the broker but 'AppJson' cannot serialize it: add [JsonSerializable(typeof(App.OrderShipped))] to 'AppJson'" }, found);
    }

    [Fact]
    public void ER0400_SilentWhenEveryEventIsInTheContext()
    {
        Assert.Empty(Analyze("""o.JsonContext = AppJson.Default; o.CrossBroker("orders.placed"); o.CrossBroker<OrderPlaced>();"""));
    }

    [Fact]
    public void ER0400_SilentWithoutAContextInTheSameMethod_OrForUnknownNames()
    {
        Assert.Empty(Analyze("""o.CrossBroker("orders.shipped");"""));
        Assert.Empty(Analyze("""o.JsonContext = AppJson.Default; o.CrossBroker("defined.elsewhere");"""));
    }
}
