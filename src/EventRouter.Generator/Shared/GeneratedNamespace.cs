using System.Text;
using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Shared;

/// <summary>
/// The namespace of a project's generated dispatcher, event map and DI registration. Normally
/// <c>EventRouter.Generated</c>; in a project that sees another assembly's generated types there
/// (a test project named by <c>[InternalsVisibleTo]</c>), <c>EventRouter.Generated.&lt;Assembly&gt;</c>, so the two
/// never collide: the friend's types keep the short names there, and this project's own are one namespace further in.
/// </summary>
internal static class GeneratedNamespace
{
    public const string Default = "EventRouter.Generated";

    /// <summary>Generated types whose names two assemblies must not share where one sees the other's internals.</summary>
    private static readonly string[] s_names =
    {
        Default + ".EventDispatcher",
        Default + ".EventMap",
        "Microsoft.Extensions.DependencyInjection.EventRouterServiceCollectionExtensions",
    };

    /// <summary>The namespace for <paramref name="compilation"/>'s generated types. Reads only referenced assemblies' type tables.</summary>
    public static string For(Compilation compilation)
    {
        foreach (var name in s_names)
        {
            foreach (var type in compilation.GetTypesByMetadataName(name))
            {
                if (!SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, compilation.Assembly)
                    && compilation.IsSymbolAccessibleWithin(type, compilation.Assembly))
                {
                    return Default + "." + Identifier(compilation.AssemblyName ?? "Assembly");
                }
            }
        }
        return Default;
    }

    /// <summary>True when <paramref name="ns"/> is the nested namespace, so the DI extension must not sit beside the friend's.</summary>
    public static bool IsNested(string ns) => ns.Length != Default.Length;

    /// <summary>An assembly name as one identifier: <c>App.Tests</c> is <c>App_Tests</c>.</summary>
    private static string Identifier(string assemblyName)
    {
        var text = new StringBuilder(assemblyName.Length + 1);
        foreach (var c in assemblyName)
        {
            text.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        }
        if (text.Length == 0 || char.IsDigit(text[0]))
        {
            text.Insert(0, '_');
        }
        return TypeNames.Escape(text.ToString());
    }
}
