using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EventRouter.Benchmarks;

/// <summary>
/// A reference point for <c>--generator-once</c>, not product code: the least an attribute-driven generator does
/// over the synthetic project. It finds every <c>[EventListener]</c> class with
/// <c>ForAttributeWithMetadataName</c>, reads the event type of each <c>IEventListener&lt;T&gt;</c> the class
/// implements, and writes one line per listener. What EventRouter's generator costs above this is its own work.
/// </summary>
public sealed class FloorGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var listeners = context.SyntaxProvider.ForAttributeWithMetadataName(
            "EventRouter.EventListenerAttribute",
            static (node, _) => true,
            static (attributeContext, _) =>
            {
                var type = (INamedTypeSymbol)attributeContext.TargetSymbol;
                var events = type.AllInterfaces
                    .Where(i => i.IsGenericType && i.Name == "IEventListener")
                    .Select(i => i.TypeArguments[0].ToDisplayString());
                return type.ToDisplayString() + " : " + string.Join(", ", events);
            });

        context.RegisterSourceOutput(listeners.Collect(), static (output, lines) =>
        {
            var text = new StringBuilder();
            foreach (var line in lines)
            {
                text.Append("// ").AppendLine(line);
            }
            output.AddSource("Floor.g.cs", SourceText.From(text.ToString(), Encoding.UTF8));
        });
    }
}
