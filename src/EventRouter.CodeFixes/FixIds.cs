namespace EventRouter.CodeFixes;

/// <summary>
/// The diagnostic IDs and metadata names this assembly fixes. Duplicated as strings on purpose: referencing the
/// generator assembly would tie the two assemblies' load order together for no gain.
/// </summary>
internal static class FixIds
{
    public const string ListenerWithoutInterface = "ER0001";
    public const string ListenerNotConcrete = "ER0002";
    public const string ModuleServerNotPartial = "ER0100";

    public const string EventListenerInterface = "EventRouter.IEventListener`1";
    public const string EventAttribute = "EventRouter.EventAttribute";
}
