using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Listeners;

public sealed partial class EventRouterGenerator
{
    /// <summary>
    /// Finds the concrete source types that may reach a listener through a base class or interface (an event of type
    /// <c>Placed : IOrderEvent</c> and a listener of <c>IOrderEvent</c>), binding as few declarations as it can.
    /// A semantic transform per declaration with a base list would run again on every keystroke for every such type in
    /// the project (any edit changes the compilation); instead the scan is syntax first:
    /// <list type="number">
    /// <item>per file, the simple names of its type declarations, their base lists and its using aliases — a
    /// syntax-only step, so an edit re-reads only the edited file;</item>
    /// <item>from those and the listened types that can have subtypes, the names of declarations that may derive from
    /// one of them, transitively (<c>Placed : IOrderEvent</c>, <c>IOrderEvent : IDomainEvent</c>) — names compare as
    /// text, so this over-approximates, and a base that no source file declares (a referenced library's class, which
    /// may implement a listened interface) keeps its declaration in;</item>
    /// <item>only those declarations are bound and checked, and none at all when no listener listens to a type that
    /// can have subtypes.</item>
    /// </list>
    /// </summary>
    internal static class CandidateScan
    {
        /// <summary>One type declaration: its simple name, the simple names in its base list, and whether it could be an event itself.</summary>
        internal sealed record Declaration(string Name, EquatableArray<string> Bases, bool MayBeConcrete);

        /// <summary>A using alias: <c>using Alias = Some.Namespace.Target;</c> as (Alias, Target).</summary>
        internal sealed record Alias(string Name, string Target);

        /// <summary>
        /// What one file declares, by simple names only; <paramref name="AttributeNames"/> are the names of the
        /// attributes on its type declarations, without an <c>Attribute</c> suffix (see <see cref="Discovery"/>).
        /// </summary>
        internal sealed record FileNames(EquatableArray<Declaration> Declarations, EquatableArray<Alias> Aliases, EquatableArray<string> DeclaredNames, EquatableArray<string> AttributeNames);

        public static FileNames ReadFile(SyntaxTree tree, CancellationToken cancellationToken)
        {
            var declarations = new List<Declaration>();
            var aliases = new List<Alias>();
            var declared = new List<string>();
            var attributes = new List<string>();
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes(static n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
            {
                if (node is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax)
                {
                    foreach (var list in ((MemberDeclarationSyntax)node).AttributeLists)
                    {
                        attributes.AddRange(list.Attributes.Select(a => Discovery.AttributeKey(SimpleName(a.Name))));
                    }
                }
                switch (node)
                {
                    case UsingDirectiveSyntax { Alias: { } alias, Name: { } target }:
                        aliases.Add(new Alias(alias.Name.Identifier.ValueText, SimpleName(target)));
                        break;
                    case TypeDeclarationSyntax type:
                        var name = type.Identifier.ValueText;
                        declared.Add(name);
                        if (type.BaseList is { } baseList)
                        {
                            declarations.Add(new Declaration(
                                name,
                                baseList.Types.Select(b => SimpleName(b.Type)).ToEquatableArray(),
                                type is not InterfaceDeclarationSyntax));
                        }
                        break;
                }
            }
            return new FileNames(
                declarations.ToEquatableArray(),
                aliases.ToEquatableArray(),
                declared.Distinct().ToEquatableArray(),
                attributes.Distinct().ToEquatableArray());
        }

        /// <summary>
        /// The simple names of the listened types an event can reach through a base type: those that can have subtypes
        /// (not sealed, not a struct), but not <c>object</c>, whose listeners every event reaches without a candidate.
        /// </summary>
        public static EquatableArray<string> ListenedBaseNames(ImmutableArray<ListenerModel> local, ReferencedModel referenced) =>
            local.Concat(referenced.Listeners)
                .SelectMany(l => l.Handles)
                .Where(h => !h.Event.IsSealed && h.Event.FullName != "object")
                .Select(h => SimpleName(h.Event.FullName))
                .Distinct()
                .OrderBy(n => n, System.StringComparer.Ordinal)
                .ToEquatableArray();

        /// <summary>The names of declarations to bind: those whose base list names a listened base type, transitively, or a type no source file declares.</summary>
        public static EquatableArray<string> CandidateNames(IReadOnlyList<FileNames> files, EquatableArray<string> listened)
        {
            if (listened.Count == 0)
            {
                return EquatableArray<string>.Empty;
            }
            var declared = new HashSet<string>(files.SelectMany(f => f.DeclaredNames), System.StringComparer.Ordinal);
            var aliases = files.SelectMany(f => f.Aliases).ToList();
            // A name source declares, directly or through an alias: the scan can follow it. Any other base may be a
            // referenced library's type that implements a listened one, so its declaration is kept without following.
            declared.UnionWith(aliases.Where(a => declared.Contains(a.Target)).Select(a => a.Name).ToList());
            var declarations = files.SelectMany(f => f.Declarations).ToList();
            var reaching = new HashSet<string>(listened, System.StringComparer.Ordinal);
            var candidates = new HashSet<string>(System.StringComparer.Ordinal);
            // Fixed point: a name joins when its base list names one that reaches a listened type. Terminates: the set
            // only grows, within the declared names and aliases.
            for (var grew = true; grew;)
            {
                grew = false;
                foreach (var alias in aliases)
                {
                    grew |= reaching.Contains(alias.Target) && reaching.Add(alias.Name);
                }
                foreach (var d in declarations)
                {
                    if (d.Bases.Any(b => reaching.Contains(b) || !declared.Contains(b)))
                    {
                        grew |= reaching.Add(d.Name);
                        if (d.MayBeConcrete)
                        {
                            candidates.Add(d.Name);
                        }
                    }
                }
            }
            return candidates.OrderBy(n => n, System.StringComparer.Ordinal).ToEquatableArray();
        }

        /// <summary>Binds the declarations named <paramref name="names"/> and keeps the concrete types with base types.</summary>
        public static EquatableArray<EventTypeModel> Bind(Compilation compilation, EquatableArray<string> names, CancellationToken cancellationToken)
        {
            if (names.Count == 0)
            {
                return EquatableArray<EventTypeModel>.Empty;
            }
            var wanted = new HashSet<string>(names, System.StringComparer.Ordinal);
            var found = new Dictionary<string, EventTypeModel>(System.StringComparer.Ordinal);
            foreach (var tree in compilation.SyntaxTrees)
            {
                SemanticModel? model = null;
                foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes(static n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
                {
                    if (node is TypeDeclarationSyntax { BaseList: not null } type and not InterfaceDeclarationSyntax && wanted.Contains(type.Identifier.ValueText))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        model ??= compilation.GetSemanticModel(tree);
                        if (Parser.ParseEventCandidate(model.GetDeclaredSymbol(type, cancellationToken)) is { } candidate && !found.ContainsKey(candidate.FullName))
                        {
                            found.Add(candidate.FullName, candidate);
                        }
                    }
                }
            }
            return found.Values.OrderBy(e => e.FullName, System.StringComparer.Ordinal).ToEquatableArray();
        }

        /// <summary>The rightmost identifier of a type as written: <c>Outer.IEvent&lt;int&gt;</c> and <c>global::App.IEvent</c> are <c>IEvent</c>.</summary>
        internal static string SimpleName(TypeSyntax type) => type switch
        {
            QualifiedNameSyntax q => q.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
            SimpleNameSyntax s => s.Identifier.ValueText,
            _ => type.ToString(),
        };

        /// <summary>The same for a generated full name: <c>global::App.Outer&lt;global::X&gt;.IEvent&lt;int&gt;</c> is <c>IEvent</c>.</summary>
        internal static string SimpleName(string fullName)
        {
            var depth = 0;
            var start = fullName.StartsWith("global::", System.StringComparison.Ordinal) ? "global::".Length : 0;
            var end = fullName.Length;
            for (var i = start; i < fullName.Length; i++)
            {
                switch (fullName[i])
                {
                    case '<':
                        if (depth++ == 0 && end == fullName.Length)
                        {
                            end = i;
                        }
                        break;
                    case '>':
                        depth--;
                        break;
                    case '.' when depth == 0:
                        start = i + 1;
                        end = fullName.Length;
                        break;
                }
            }
            return fullName.Substring(start, end - start).TrimStart('@');
        }
    }
}
