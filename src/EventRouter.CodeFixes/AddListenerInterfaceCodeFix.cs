using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace EventRouter.CodeFixes;

/// <summary>
/// ER0001: an [EventListener] class implements no <c>IEventListener&lt;T&gt;</c>. Offers one fix per event type the
/// user plausibly meant — [Event] types first, then types other listeners in the file listen to, then records
/// declared in the file — each adding the interface and a <c>HandleAsync</c> stub that throws <see cref="System.NotImplementedException"/>.
/// With no candidate in the file it offers <c>IEventListener&lt;object&gt;</c> (every event), which the user narrows.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddListenerInterfaceCodeFix))]
[Shared]
public sealed class AddListenerInterfaceCodeFix : CodeFixProvider
{
    /// <summary>More than this many candidates would bury the lightbulb menu; the user can still edit the type argument.</summary>
    internal const int MaxCandidates = 5;

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixIds.ListenerWithoutInterface);

    /// <inheritdoc />
    /// <remarks>
    /// Fix All (the IDE's "fix all occurrences", <c>dotnet format analyzers</c>) applies, to every listener, the action
    /// with the chosen action's equivalence key: the first-ranked candidate of each listener for the first action, the
    /// same event type for the others (a listener without that candidate is left alone).
    /// </remarks>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <summary>The equivalence key of every listener's first-ranked candidate, so Fix All can apply "the best one" to each.</summary>
    internal const string BestCandidateKey = nameof(AddListenerInterfaceCodeFix) + ":best";

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }
        var declaration = root.FindNode(context.Span).FirstAncestorOrSelf<ClassDeclarationSyntax>();
        if (declaration is null || model.GetDeclaredSymbol(declaration, context.CancellationToken) is not INamedTypeSymbol listener)
        {
            return;
        }
        var listenerInterface = model.Compilation.GetTypeByMetadataName(FixIds.EventListenerInterface);
        if (listenerInterface is null)
        {
            return;
        }

        var candidates = FindCandidates(root, model, listener, listenerInterface, context.CancellationToken);
        if (candidates.Count == 0)
        {
            candidates.Add(model.Compilation.GetSpecialType(SpecialType.System_Object));
        }
        for (var i = 0; i < candidates.Count; i++)
        {
            var eventType = candidates[i];
            var display = eventType.ToMinimalDisplayString(model, declaration.SpanStart);
            var title = eventType.SpecialType == SpecialType.System_Object
                ? "Implement IEventListener<object> (receives every event)"
                : $"Implement IEventListener<{display}>";
            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    ct => AddInterfaceAsync(context.Document, declaration, eventType, ct),
                    equivalenceKey: i == 0 ? BestCandidateKey : nameof(AddListenerInterfaceCodeFix) + ":" + eventType.ToDisplayString()),
                context.Diagnostics);
        }
    }

    private static List<ITypeSymbol> FindCandidates(
        SyntaxNode root, SemanticModel model, INamedTypeSymbol listener, INamedTypeSymbol listenerInterface, CancellationToken cancellationToken)
    {
        // Ranked by how surely each is an event: [Event]-marked types, then types other listeners listen to, then records
        // (a record may as well be a module's request or a DTO).
        var rank = new Dictionary<ITypeSymbol, int>(SymbolEqualityComparer.Default);
        void Add(ITypeSymbol type, int value) => rank[type] = rank.TryGetValue(type, out var known) ? System.Math.Min(known, value) : value;
        foreach (var type in root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>())
        {
            if (model.GetDeclaredSymbol(type, cancellationToken) is not INamedTypeSymbol symbol
                || SymbolEqualityComparer.Default.Equals(symbol, listener))
            {
                continue;
            }
            var listened = symbol.AllInterfaces
                .Where(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, listenerInterface))
                .Select(i => i.TypeArguments[0])
                .ToList();
            if (listened.Count > 0)
            {
                foreach (var eventType in listened.Where(t => t is INamedTypeSymbol && t.SpecialType != SpecialType.System_Object))
                {
                    Add(eventType, IsMarkedEvent(eventType) ? 0 : 1);
                }
                continue; // another listener: its listened types are candidates, the listener itself is not
            }
            if (symbol.TypeParameters.Length > 0 || symbol.IsStatic || symbol.TypeKind is TypeKind.Enum or TypeKind.Delegate)
            {
                continue;
            }
            if (IsMarkedEvent(symbol))
            {
                Add(symbol, 0);
            }
            else if (symbol.IsRecord)
            {
                Add(symbol, 2);
            }
        }
        return rank.Keys
            .Where(t => model.IsAccessible(0, t))
            .OrderBy(t => rank[t])
            .ThenBy(t => t.ToDisplayString(), System.StringComparer.Ordinal)
            .Take(MaxCandidates)
            .ToList();
    }

    private static bool IsMarkedEvent(ITypeSymbol type) =>
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == FixIds.EventAttribute);

    private static async Task<Document> AddInterfaceAsync(Document document, ClassDeclarationSyntax declaration, ITypeSymbol eventType, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }
        var eventName = eventType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var interfaceType = SyntaxFactory.ParseTypeName($"global::EventRouter.IEventListener<{eventName}>")
            .WithAdditionalAnnotations(Simplifier.Annotation);

        var method = (MethodDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration(
            $"public global::System.Threading.Tasks.ValueTask HandleAsync({eventName} @event, global::System.Threading.CancellationToken cancellationToken)\n"
            + "{\n    throw new global::System.NotImplementedException();\n}\n")!;
        method = method.WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);

        var updated = declaration.BaseList is null
            ? declaration
                .WithIdentifier(declaration.Identifier.WithTrailingTrivia())
                .WithBaseList(SyntaxFactory.BaseList(SyntaxFactory.SingletonSeparatedList<BaseTypeSyntax>(SyntaxFactory.SimpleBaseType(interfaceType)))
                    .WithTrailingTrivia(declaration.Identifier.TrailingTrivia))
            : declaration.AddBaseListTypes(SyntaxFactory.SimpleBaseType(interfaceType));
        updated = updated.AddMembers(method).WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(root.ReplaceNode(declaration, updated));
    }
}
