using System.Linq;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Modules;

/// <summary>Finds <c>[ModuleServer]</c> classes and emits each one's typed client and DI registration. Pipeline wiring only.</summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class ModuleServerGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var modules = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.ModuleServerAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => Parser.Parse(ctx, ct)) // null on invalid input: ModuleServerAnalyzer reports it
            .Where(static m => m is not null)
            .WithTrackingName(TrackingNames.ModuleServers);

        // [EventFilter] classes implementing IModuleFilter (event-only filters are the event generator's), in chain order.
        var filters = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.EventFilterAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                static (ctx, ct) => FilterParser.Parse(ctx, FilterKinds.Module, ct)) // null when invalid: FilterAnalyzer reports it
            .Collect()
            .Select(static (all, _) => FilterOrder.OutermostFirst(all).ToEquatableArray())
            .WithTrackingName(TrackingNames.ModuleFilters);

        var output = modules
            .Combine(filters)
            .Select(static (pair, _) => FilterComposer.Apply(pair.Left!, pair.Right))
            .WithTrackingName(TrackingNames.ModuleServerOutput);

        // All modules at once: hint names must differ ignoring case, and App.Orders and app.Orders may both exist.
        context.RegisterSourceOutput(output.Collect(), static (spc, all) => Emitter.EmitAll(spc, all));

        // The modules' part of the event map: one file for all modules (the filters do not show in it).
        var map = modules
            .Collect()
            .Select(static (all, _) => all.OrderBy(static m => m!.FullyQualifiedName, System.StringComparer.Ordinal).Select(static m => m!).ToEquatableArray())
            .WithTrackingName(TrackingNames.ModuleMap);
        var ns = context.CompilationProvider.Select(static (c, _) => GeneratedNamespace.For(c));
        context.RegisterSourceOutput(map.Combine(ns), static (spc, pair) => ModuleMapEmitter.Emit(spc, pair.Left, pair.Right));
    }
}
