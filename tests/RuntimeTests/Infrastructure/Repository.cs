using System;
using System.IO;

namespace EventRouter.Tests.Infrastructure;

/// <summary>The repository the tests run in, for tests that check docs against the code.</summary>
internal static class Repository
{
    /// <summary>The folder holding EventRouter.sln, found upwards from the test binaries.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EventRouter.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("EventRouter.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
