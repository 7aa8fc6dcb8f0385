using Microsoft.CodeAnalysis;

namespace EventRouter.Generator.Diagnostics;

internal static partial class DiagnosticDescriptors
{
    private const string ModulesCategory = "EventRouter.Usage";

    public static readonly DiagnosticDescriptor ModuleServerNotPartial = Create(
        "ER0100",
        "Module server class must be partial",
        "Module server class '{0}' must be declared partial so its typed client and registration can be generated",
        ModulesCategory,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateRequestHandler = Create(
        "ER0101",
        "Request type handled more than once",
        "Module server '{0}' handles request type '{1}' more than once (responses {2}); a request type must have exactly one handler",
        ModulesCategory,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidModuleServerShape = Create(
        "ER0102",
        "Module server class has an unsupported shape",
        "Module server class '{0}' is {1}; a module server must be a non-generic, non-abstract, non-static top-level class (not a record) that is public or internal",
        ModulesCategory,
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor HandlerMethodNotRouted = Create(
        "ER0103",
        "Method looks like a handler but is not one",
        "Method '{0}.{1}' is not the implementation of any IRequestHandler<TRequest, TResponse> or ICommandHandler<TCommand> of the module, so no message reaches it; implement the interface (returning ValueTask or ValueTask<TResponse> and taking the message and a CancellationToken)",
        ModulesCategory,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ModuleHandlesNothing = Create(
        "ER0104",
        "Module server handles no messages",
        "Module server '{0}' implements no IRequestHandler<TRequest, TResponse> or ICommandHandler<TCommand>; its client has nothing to send",
        ModulesCategory,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ClientNameTaken = Create(
        "ER0105",
        "The name of the generated client is already taken",
        "Module server '{0}' gets a generated client named '{1}', but '{1}' already exists, so no client is generated; rename that type or the module",
        ModulesCategory,
        DiagnosticSeverity.Error);
}
