using System;

namespace EventRouter.Modules;

/// <summary>
/// Marks a partial class as a module server: the generator emits a typed client with one method per
/// <see cref="IRequestHandler{TRequest, TResponse}"/> and <see cref="ICommandHandler{TCommand}"/> the class implements.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ModuleServerAttribute : Attribute
{
}
