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
                ModuleNames.ModuleServerAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => Parser.Parse(ctx, ct)) // null on invalid input: ModuleServerAnalyzer reports it
            .Where(static m => m is not null)
            .WithTrackingName(ModuleTrackingNames.Modules)
            .Select(static (m, _) => m!)
            .WithTrackingName(ModuleTrackingNames.Output);

        context.RegisterSourceOutput(modules, static (spc, model) => Emitter.Emit(spc, model));
    }
}
