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

namespace EventRouter.CodeFixes;

/// <summary>
/// ER0002 on an abstract listener: removes <c>abstract</c> so the dispatch table can create it. Offered only when the
/// class declares no abstract members (removing the modifier would not compile otherwise); generic and static
/// listeners need a design decision, so they get no automatic fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeListenerConcreteCodeFix))]
[Shared]
public sealed class MakeListenerConcreteCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixIds.ListenerNotConcrete);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        var declaration = root?.FindNode(context.Span).FirstAncestorOrSelf<ClassDeclarationSyntax>();
        if (declaration is null || model?.GetDeclaredSymbol(declaration, context.CancellationToken) is not INamedTypeSymbol type)
        {
            return;
        }
        if (!type.IsAbstract || type.IsStatic || type.TypeParameters.Length > 0 || type.GetMembers().Any(m => m.IsAbstract))
        {
            return;
        }
        context.RegisterCodeFix(
            CodeAction.Create(
                $"Make '{type.Name}' non-abstract",
                ct => RemoveAbstractAsync(context.Document, type, ct),
                equivalenceKey: nameof(MakeListenerConcreteCodeFix)),
            context.Diagnostics);
    }

    private static async Task<Solution> RemoveAbstractAsync(Document document, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        // 'abstract' may sit on any part of a partial class, possibly in another file.
        var solution = document.Project.Solution;
        foreach (var group in type.DeclaringSyntaxReferences.GroupBy(r => r.SyntaxTree))
        {
            var partDocument = solution.GetDocument(group.Key);
            if (partDocument is null)
            {
                continue;
            }
            var root = await group.Key.GetRootAsync(cancellationToken).ConfigureAwait(false);
            var parts = group.Select(r => r.GetSyntax(cancellationToken)).OfType<ClassDeclarationSyntax>().ToList();
            var newRoot = root.ReplaceNodes(parts, (original, _) =>
            {
                var modifier = original.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.AbstractKeyword));
                if (modifier == default)
                {
                    return original;
                }
                var index = original.Modifiers.IndexOf(modifier);
                var modifiers = original.Modifiers.RemoveAt(index);
                // Keep the leading trivia (comments, indentation) when the removed modifier was the first token.
                if (index == 0)
                {
                    return modifiers.Count > 0
                        ? original.WithModifiers(modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(modifier.LeadingTrivia)))
                        : original.WithModifiers(modifiers).WithKeyword(original.Keyword.WithLeadingTrivia(modifier.LeadingTrivia));
                }
                return original.WithModifiers(modifiers);
            });
            solution = solution.WithDocumentSyntaxRoot(partDocument.Id, newRoot);
        }
        return solution;
    }
}
