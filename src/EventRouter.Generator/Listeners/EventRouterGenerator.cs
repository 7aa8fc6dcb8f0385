using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Listeners;

/// <summary>
/// Finds [EventListener] classes and emits the dispatch table. Pipeline wiring only: <see cref="Parser"/> turns symbols
/// into models, <see cref="TableBuilder"/> resolves them into routes, <see cref="Emitter"/> and
/// <see cref="EventMapEmitter"/> write the source.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class EventRouterGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var listeners = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.EventListenerAttribute,
                static (node, _) => node is TypeDeclarationSyntax, // record classes too
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

        // Reads only assembly-level attributes of references; its output is an equatable model, so later steps cache.
        var references = context.CompilationProvider
            .Select(static (c, ct) => (Referenced: Parser.ParseReferences(c, ct), HasDi: Parser.HasDependencyInjection(c), Namespace: GeneratedNamespace.For(c)))
            .WithTrackingName(TrackingNames.References);

        // Concrete types that may reach a listener through a base type: syntax first, see CandidateScan.
        var fileNames = context.CompilationProvider
            .SelectMany(static (c, _) => c.SyntaxTrees)
            .Select(static (tree, ct) => CandidateScan.ReadFile(tree, ct)) // cached for every file the edit did not touch
            .WithTrackingName(TrackingNames.CandidateFiles)
            .Collect();
        var candidateNames = listeners
            .Combine(references)
            .Select(static (all, _) => CandidateScan.ListenedBaseNames(all.Left, all.Right.Referenced))
            .Combine(fileNames)
            .Select(static (all, _) => CandidateScan.CandidateNames(all.Right, all.Left))
            .WithTrackingName(TrackingNames.CandidateNames);
        var candidates = candidateNames
            .Combine(context.CompilationProvider)
            .Select(static (all, ct) => CandidateScan.Bind(all.Right, all.Left, ct))
            .WithTrackingName(TrackingNames.Candidates);

        var filters = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.EventFilterAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                static (ctx, ct) => FilterParser.Parse(ctx, FilterKinds.Event, ct)) // null when invalid: FilterAnalyzer reports it
            .WithTrackingName(TrackingNames.Filters)
            .Collect();

        var table = listeners
            .Combine(namedEvents)
            .Combine(candidates)
            .Combine(references)
            .Combine(filters)
            .Select(static (all, _) =>
            {
                var ((((local, named), candidates), references), filters) = all;
                return TableBuilder.Build(local, named, candidates, references.Referenced, references.HasDi, filters) with { Namespace = references.Namespace };
            })
            .WithTrackingName(TrackingNames.Table);

        context.RegisterSourceOutput(table, static (spc, model) => Emitter.Emit(spc, model));
    }
}
