using System;

namespace EventRouter.Durability;

/// <summary>
/// The database holds a schema this version of EventRouter.Durability cannot use: one written by a newer version.
/// Nothing was changed in the database. Upgrade the package, or point the store at another database.
/// </summary>
public sealed class DurableSchemaException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backend">The database product.</param>
    /// <param name="target">Where the database is.</param>
    /// <param name="foundVersion">The schema version found in the database.</param>
    /// <param name="supportedVersion">The newest schema version this library knows.</param>
    public DurableSchemaException(string backend, string target, int foundVersion, int supportedVersion)
        : base($"The {backend} store at {target} has schema version {foundVersion}, written by a newer EventRouter.Durability; this version knows schema versions up to {supportedVersion}. Nothing was changed: upgrade EventRouter.Durability, or use another database.")
    {
        FoundVersion = foundVersion;
        SupportedVersion = supportedVersion;
    }

    /// <summary>The schema version found in the database.</summary>
    public int FoundVersion { get; }

    /// <summary>The newest schema version this library knows.</summary>
    public int SupportedVersion { get; }
}
