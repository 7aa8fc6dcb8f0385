using System.Linq;
using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Tests.Shared;

/// <summary>The stems generated members are named with: readable, unique among the types they are chosen from, deterministic.</summary>
public sealed class MemberNamesTests
{
    [Fact]
    public void SimpleName_WhenItIsUnique()
    {
        var stems = MemberNames.Stems(new[] { "global::App.Orders.OrderPlaced", "global::App.Orders.OrderShipped" });

        Assert.Equal("OrderPlaced", stems["global::App.Orders.OrderPlaced"]);
        Assert.Equal("OrderShipped", stems["global::App.Orders.OrderShipped"]);
    }

    [Fact]
    public void SameNameInTwoNamespaces_QualifiedUntilApart()
    {
        var stems = MemberNames.Stems(new[] { "global::Shop.Billing.OrderPlaced", "global::Shop.Shipping.OrderPlaced", "global::Shop.Paid" });

        Assert.Equal("BillingOrderPlaced", stems["global::Shop.Billing.OrderPlaced"]);
        Assert.Equal("ShippingOrderPlaced", stems["global::Shop.Shipping.OrderPlaced"]);
        Assert.Equal("Paid", stems["global::Shop.Paid"]);
    }

    [Fact]
    public void GenericArguments_AreSpelledIn_AndTellConstructedTypesApart()
    {
        var stems = MemberNames.Stems(new[] { "global::App.Envelope<int>", "global::App.Envelope<global::App.Order>", "global::App.Pair<string, int[]>" });

        Assert.Equal("EnvelopeOfInt", stems["global::App.Envelope<int>"]);
        Assert.Equal("EnvelopeOfOrder", stems["global::App.Envelope<global::App.Order>"]);
        Assert.Equal("PairOfStringAndIntArray", stems["global::App.Pair<string, int[]>"]);
    }

    [Fact]
    public void Role_LeftOffTheName_UnlessThatMakesTwoEqual()
    {
        var stems = MemberNames.Stems(new[] { "global::App.AuditListener", "global::App.MailListener", "global::App.Mail", "global::App.Listener" }, "Listener");

        Assert.Equal("Audit", stems["global::App.AuditListener"]);
        Assert.Equal("Listener", stems["global::App.Listener"]); // nothing left to name it by
        Assert.NotEqual(stems["global::App.Mail"], stems["global::App.MailListener"]);
    }

    [Fact]
    public void NamesThatDifferOnlyInDroppedCharacters_AreNumbered()
    {
        var stems = MemberNames.Stems(new[] { "global::App.Order_Placed", "global::App.OrderPlaced", "global::App.Order__Placed" });

        Assert.Equal(3, stems.Values.Distinct().Count());
        Assert.All(stems.Values, s => Assert.Matches("^[A-Za-z0-9]+$", s));
    }

    [Fact]
    public void Stems_DependOnTheSetOnly_NotItsOrder()
    {
        string[] names = { "global::B.X", "global::A.X", "global::A.Y<global::B.X>", "global::C.D.X", "global::C.E.X" };

        var forward = MemberNames.Stems(names);
        var backward = MemberNames.Stems(names.Reverse());

        Assert.Equal(forward.OrderBy(p => p.Key), backward.OrderBy(p => p.Key));
        Assert.Equal(names.Length, forward.Values.Distinct().Count());
    }

    [Fact]
    public void Field_IsCamelCasedWithTheRole() => Assert.Equal("_orderPlacedRoute", MemberNames.Field("OrderPlaced", "Route"));
}
