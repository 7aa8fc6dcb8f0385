using System;
using Microsoft.Extensions.Logging;

namespace EventRouter.Modules;

/// <summary>Log messages of module servers, event ids 3000–3099.</summary>
internal static partial class ModuleLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Error, Message = "Module server '{ModuleName}' failed handling command {CommandType}.")]
    public static partial void CommandFailed(ILogger logger, Exception exception, string moduleName, string commandType);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Module server '{ModuleName}' stopped immediately and dropped {Count} queued command(s).")]
    public static partial void CommandsDropped(ILogger logger, string moduleName, long count);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "The command-failure callback of module server '{ModuleName}' threw.")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string moduleName);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Module server '{ModuleName}' stopped ({Mode}).")]
    public static partial void Stopped(ILogger logger, string moduleName, ModuleShutdownMode mode);
}
