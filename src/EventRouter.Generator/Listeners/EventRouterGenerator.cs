using System.Linq;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;

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
        // Roslyn runs every transform that reads the compilation (ForAttributeWithMetadataName's and
        // CreateSyntaxProvider's included) again whenever the compilation changes, which is on every keystroke: one
        // transform per listener, so 2,000 listener parses for an edit inside a method body. Instead, every semantic
        // step below reads a compilation that is replaced only when a declaration changes:
        // 1. per file, its declaration shape (a hash of everything outside member bodies, see DeclarationShape) and
        //    the simple names the syntax-first steps read; Roslyn reruns this only for the files the edit touched;
        // 2. the key: every file's shape, in order, and the compilation's references, assembly name and options;
        // 3. the compilation, paired with the key under a comparer that compares only the key: when the key is equal
        //    the pair keeps the compilation it held, and every step after it is Cached (not run at all).
        // No model reads a member body or a position (models carry no Location: the analyzers report diagnostics),
        // so the compilation held is as good as the current one for them. The price: the step keeps alive the
        // compilation of the last declaration change (and what it references) until the next one replaces it.
        var files = context.CompilationProvider
            .SelectMany(static (c, _) => c.SyntaxTrees)
            .Select(static (tree, ct) => new FileShape(DeclarationShape.Of(tree, ct), CandidateScan.ReadFile(tree, ct)))
            .WithTrackingName(TrackingNames.FileShapes)
            .Collect()
            .Select(static (all, _) => all.ToEquatableArray());
        var compilation = files
            .Combine(context.CompilationProvider.Select(static (c, _) => new CompilationShape(c)))
            .Combine(context.CompilationProvider)
            .Select(static (all, _) => new DeclarationCompilation(all.Left.Left, all.Left.Right, all.Right))
            .WithComparer(DeclarationsComparer.Instance)
            .WithTrackingName(TrackingNames.DeclarationCompilation);

        // [EventListener], [Event] and [EventFilter] classes: one semantic pass, then one tracked output per model.
        var declared = compilation
            .Select(static (c, ct) => Discovery.Find(c.Compilation, c.Files, ct))
            .WithTrackingName(TrackingNames.Declarations);
        var listeners = declared.SelectMany(static (d, _) => d.Listeners).WithTrackingName(TrackingNames.Listeners).Collect();
        var namedEvents = declared.SelectMany(static (d, _) => d.NamedEvents).WithTrackingName(TrackingNames.NamedEvents).Collect();
        var filters = declared.SelectMany(static (d, _) => d.Filters).WithTrackingName(TrackingNames.Filters).Collect();

        // Reads only assembly-level attributes of references; its output is an equatable model, so later steps cache.
        var references = compilation
            .Select(static (c, ct) => (Referenced: Parser.ParseReferences(c.Compilation, ct), HasDi: Parser.HasDependencyInjection(c.Compilation), Namespace: GeneratedNamespace.For(c.Compilation)))
            .WithTrackingName(TrackingNames.References);

        // Concrete types that may reach a listener through a base type: syntax first, see CandidateScan.
        var candidateNames = listeners
            .Combine(references)
            .Select(static (all, _) => CandidateScan.ListenedBaseNames(all.Left, all.Right.Referenced))
            .Combine(files)
            .Select(static (all, _) => CandidateScan.CandidateNames(all.Right.Select(f => f.Names).ToList(), all.Left))
            .WithTrackingName(TrackingNames.CandidateNames);
        // The names change only with a declaration, which replaces the gated compilation too: the bind never reads a stale one.
        var candidates = candidateNames
            .Combine(compilation)
            .Select(static (all, ct) => CandidateScan.Bind(all.Right.Compilation, all.Left, ct))
            .WithTrackingName(TrackingNames.Candidates);

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
