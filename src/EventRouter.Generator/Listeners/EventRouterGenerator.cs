using System.Linq;
using EventRouter.Generator.Models;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator;

/// <summary>Names of the tracked pipeline steps, for incremental-caching tests.</summary>
internal static class TrackingNames
{
    public const string Listeners = nameof(Listeners);
    public const string NamedEvents = nameof(NamedEvents);
    public const string Candidates = nameof(Candidates);
    public const string References = nameof(References);
    public const string Filters = nameof(Filters);
    public const string Table = nameof(Table);
}

/// <summary>Finds [EventListener] classes and emits the dispatch table. Pipeline wiring only.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class EventRouterGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var listeners = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.EventListenerAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => Parser.ParseListener(ctx, ct)) // null on invalid input: the analyzer reports it
            .WithTrackingName(TrackingNames.Listeners)
            .Collect();

        var namedEvents = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.EventAttribute,
                static (_, _) => true,
                static (ctx, ct) => Parser.ParseNamedEvent(ctx, ct))
            .WithTrackingName(TrackingNames.NamedEvents)
            .Collect();

        // Concrete types that may derive from a listened base type or interface.
        var candidates = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => Parser.IsCandidateDeclaration(node),
                static (ctx, ct) => Parser.ParseEventCandidate(ctx, ct))
            .Where(static m => m is not null)
            .WithTrackingName(TrackingNames.Candidates)
            .Collect();

        // Reads only assembly-level attributes of references; its output is an equatable model, so later steps cache.
        var references = context.CompilationProvider
            .Select(static (c, ct) => (Referenced: Parser.ParseReferences(c, ct), HasDi: Parser.HasDependencyInjection(c)))
            .WithTrackingName(TrackingNames.References);

        var filters = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.EventFilterAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => Parser.ParseFilter(ctx, FilterKinds.Event, ct))
            .WithTrackingName(TrackingNames.Filters)
            .Collect();

        var table = listeners
            .Combine(namedEvents)
            .Combine(candidates)
            .Combine(references)
            .Combine(filters)
            .Select(static (all, _) => TableBuilder.Build(
                all.Left.Left.Left.Left, all.Left.Left.Left.Right, all.Left.Left.Right, all.Left.Right.Referenced, all.Left.Right.HasDi, all.Right))
            .WithTrackingName(TrackingNames.Table);

        context.RegisterSourceOutput(table, static (spc, model) => Emitter.Emit(spc, model));
    }
}
