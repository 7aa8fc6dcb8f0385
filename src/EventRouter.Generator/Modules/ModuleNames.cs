namespace EventRouter.Generator.Modules;

/// <summary>Metadata names of the module-server runtime types (names only: the runtime is never loaded in the compiler).</summary>
internal static class ModuleNames
{
    public const string ModuleServerAttribute = "EventRouter.Modules.ModuleServerAttribute";
    public const string RequestHandlerInterface = "EventRouter.Modules.IRequestHandler`2";
    public const string CommandHandlerInterface = "EventRouter.Modules.ICommandHandler`1";
    public const string HandlerMethodName = "HandleAsync";
}

/// <summary>Names of the module generator's tracked pipeline steps, for incremental-caching tests.</summary>
internal static class ModuleTrackingNames
{
    public const string Modules = "ModuleServers";
    public const string Filters = "ModuleFilters";
    public const string Output = "ModuleServerOutput";
    public const string Map = "ModuleMap";
}
