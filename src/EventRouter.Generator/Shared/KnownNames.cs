namespace EventRouter.Generator.Shared;

/// <summary>Metadata names of runtime types, for both generators and the analyzers. The runtime assembly is never loaded in the compiler: names only.</summary>
internal static class KnownNames
{
    public const string EventListenerAttribute = "EventRouter.EventListenerAttribute";
    public const string EventAttribute = "EventRouter.EventAttribute";
    public const string EventIdAttribute = "EventRouter.EventIdAttribute";
    public const string PartitionKeyAttribute = "EventRouter.PartitionKeyAttribute";
    public const string EventFilterAttribute = "EventRouter.EventFilterAttribute";
    public const string EventFilterInterface = "EventRouter.IEventFilter";
    public const string ModuleFilterInterface = "EventRouter.IModuleFilter";
    public const string EventRouterAssemblyAttribute = "EventRouter.CompilerServices.EventRouterAssemblyAttribute";
    public const string EventListenerInterface = "EventRouter.IEventListener`1";
    public const string ModuleServerAttribute = "EventRouter.Modules.ModuleServerAttribute";
    public const string RequestHandlerInterface = "EventRouter.Modules.IRequestHandler`2";
    public const string CommandHandlerInterface = "EventRouter.Modules.ICommandHandler`1";
    public const string StreamRequestHandlerInterface = "EventRouter.Modules.IStreamRequestHandler`2";
    public const string HandlerMethodName = "HandleAsync";
    public const string ServiceCollection = "Microsoft.Extensions.DependencyInjection.IServiceCollection";

    public const string GeneratorName = "EventRouter.Generator";
}
