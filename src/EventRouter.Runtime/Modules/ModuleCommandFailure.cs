using System;

namespace EventRouter.Modules;

/// <summary>A command handler's failure, as passed to <see cref="ModuleServerOptions.OnCommandFailed"/>.</summary>
/// <param name="ModuleName">The module's name.</param>
/// <param name="CommandType">The command's type.</param>
/// <param name="Exception">What the handler threw.</param>
public readonly record struct ModuleCommandFailure(string ModuleName, Type CommandType, Exception Exception);
