using System.Text;
using System.Threading;

namespace EventRouter.Modules;

/// <summary>
/// One module on the current asynchronous call path. The chain is immutable and flows with the
/// <see cref="ExecutionContext"/>, so a request can see every module that is waiting, directly or transitively, for it.
/// </summary>
internal sealed class ModuleFrame
{
    private static readonly AsyncLocal<ModuleFrame?> s_current = new();

    public ModuleFrame(ModuleServer server, ModuleFrame? parent)
    {
        Server = server;
        Parent = parent;
    }

    public ModuleServer Server { get; }

    public ModuleFrame? Parent { get; }

    public static ModuleFrame? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    public bool Contains(ModuleServer server)
    {
        for (var frame = this; frame is not null; frame = frame.Parent)
        {
            if (ReferenceEquals(frame.Server, server))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>"A -> B -> A": outermost first, then the module being requested.</summary>
    public string Describe(ModuleServer requested)
    {
        var names = new System.Collections.Generic.List<string>();
        for (var frame = this; frame is not null; frame = frame.Parent)
        {
            names.Add(frame.Server.Name);
        }
        names.Reverse();
        var text = new StringBuilder(string.Join(" -> ", names));
        return text.Append(" -> ").Append(requested.Name).ToString();
    }
}
