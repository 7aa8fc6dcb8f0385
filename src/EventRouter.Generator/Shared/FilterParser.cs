using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Shared;

/// <summary>Which filter interfaces an [EventFilter] class implements: what the filter wraps.</summary>
[System.Flags]
internal enum FilterKinds
{
    None = 0,

    /// <summary><c>IEventFilter</c>: wraps listeners (the event generator).</summary>
    Event = 1,

    /// <summary><c>IModuleFilter</c>: wraps module request and command handlers (the module generator).</summary>
    Module = 2,
}

/// <summary>What is wrong with an [EventFilter] class.</summary>
internal enum FilterProblem
{
    None,
    NotAFilter,
    NotConcrete,
    Inaccessible,
    NoUsableConstructor,
}

/// <summary>
/// [EventFilter] classes to models, for both generators (one attribute, two kinds of filter), and their validity for
/// the analyzer: the one place that decides what a usable filter is.
/// </summary>
internal static class FilterParser
{
    /// <summary>
    /// A filter model for one generator: null when the class is invalid (the analyzer reports why) or does not implement
    /// the interface of <paramref name="kind"/> (a module-only filter is no event filter, and the other way round).
    /// </summary>
    public static FilterModel? Parse(GeneratorAttributeSyntaxContext context, FilterKinds kind, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return context.TargetSymbol is INamedTypeSymbol type ? Parse(type, context.Attributes.First(), kind) : null;
    }

    /// <summary>The same for a class and its [EventFilter] attribute found by other means.</summary>
    public static FilterModel? Parse(INamedTypeSymbol type, AttributeData attribute, FilterKinds kind)
    {
        if ((KindsOf(type) & kind) == 0 || Validate(type) != FilterProblem.None)
        {
            return null;
        }
        var order = 0;
        string? appliesTo = null;
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == "Order" && named.Value.Value is int value)
            {
                order = value;
            }
            else if (named.Key == "AppliesTo" && named.Value.Value is ITypeSymbol target && target.SpecialType != SpecialType.System_Object)
            {
                appliesTo = Symbols.FullName(target);
            }
        }
        return new FilterModel(
            Symbols.FullName(type),
            type.ToDisplayString(Symbols.DisplayFormat),
            order,
            appliesTo,
            Symbols.HasParameterlessConstructor(type, fromSource: true),
            IsDirectCall(type));
    }

    public static FilterKinds KindsOf(INamedTypeSymbol type)
    {
        var kinds = FilterKinds.None;
        foreach (var iface in type.AllInterfaces)
        {
            kinds |= iface.ToDisplayString() switch
            {
                KnownNames.EventFilterInterface => FilterKinds.Event,
                KnownNames.ModuleFilterInterface => FilterKinds.Module,
                _ => FilterKinds.None,
            };
        }
        return kinds;
    }

    public static FilterProblem Validate(INamedTypeSymbol type)
    {
        if (KindsOf(type) == FilterKinds.None)
        {
            return FilterProblem.NotAFilter;
        }
        if (type.TypeKind != TypeKind.Class || type.IsAbstract || type.IsStatic || type.TypeParameters.Length > 0 || Symbols.ContainsTypeParameters(type))
        {
            return FilterProblem.NotConcrete;
        }
        if (!Symbols.IsNameable(type, requirePublic: false))
        {
            return FilterProblem.Inaccessible;
        }
        return type.InstanceConstructors.Any(c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)
            ? FilterProblem.None
            : FilterProblem.NoUsableConstructor;
    }

    /// <summary>A filter whose <c>InvokeAsync&lt;TEvent&gt;</c> can be called on its class: implicit, accessible, not static.</summary>
    private static bool IsDirectCall(INamedTypeSymbol type)
    {
        var iface = type.AllInterfaces.FirstOrDefault(i => i.ToDisplayString() == KnownNames.EventFilterInterface);
        var member = iface?.GetMembers("InvokeAsync").FirstOrDefault();
        if (member is null || type.FindImplementationForInterfaceMember(member) is not IMethodSymbol impl)
        {
            return false;
        }
        return impl.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal
            && impl.ExplicitInterfaceImplementations.Length == 0 && impl.Name == "InvokeAsync" && !impl.IsStatic;
    }
}
