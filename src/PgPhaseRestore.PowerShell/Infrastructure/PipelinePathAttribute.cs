using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// -Path from a custom object on the pipeline (Import-Csv, [pscustomobject]) is its Path property (else LiteralPath,
/// Location or FullName), never the object turned into text. A row that carries TargetConnection too binds that
/// by property name first, and PowerShell then takes the default parameter set's view: without this, -Path got
/// "@{Path=...; TargetConnection=...password=...}" and said so in its error. A custom object with none of those
/// properties is refused by the cmdlet, naming its properties only: a binding error would carry the object itself
/// (and any password in it) as its target. An archive from Get-PgDumpToc that went through serialization (Export-Clixml,
/// a job's output) binds its Source; another of the module's objects that names no archive (a phase result, a listed
/// database) is refused naming its type, where its text ("Phase 4 PostData") was taken for a drive. Strings, files
/// and the module's other objects bind as before.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class PipelinePathAttribute : ArgumentTransformationAttribute
{
    private static readonly string[] PathProperties = ["Path", "LiteralPath", "Location", "FullName"];

    private const string Deserialized = "Deserialized.";
    private const string ArchiveType = "PgPhaseRestore.Engine.Archive.DumpArchive";
    private const string PhaseType = "PgPhaseRestore.Engine.Planning.RestorePhase";

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (inputData is not PSObject wrapped)
            return inputData;
        // Its Source is a name, never a pattern: escaped for -Path, where only s3:// URIs are taken as written.
        if (wrapped.TypeNames.Contains(Deserialized + ArchiveType) && wrapped.Properties["Source"]?.Value is string source)
            return source.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) ? source : WildcardPattern.Escape(source);
        if (wrapped.TypeNames.Contains(Deserialized + PhaseType))
            return NoPlan + $"-Path: phase {wrapped.Properties["Number"]?.Value} of {wrapped.Properties["Source"]?.Value} went through serialization (Export-Clixml, a job's output), " +
                   "which keeps its properties and not its plan: plan the archive again where it runs (Split-PgRestorePhases -Path), or pipe the archive";
        if (wrapped.BaseObject is not PSCustomObject)
        {
            // The module's own objects name no archive unless they have a path property, which binds by name; an
            // archive and a phase bind to parameters of their own type (-Archive, -InputObject), left to them.
            var type = wrapped.BaseObject.GetType();
            if (type.Namespace?.StartsWith("PgPhaseRestore.", StringComparison.Ordinal) == true && type.FullName is not (ArchiveType or PhaseType) &&
                !PathProperties.Any(p => wrapped.Properties[p] is not null))
                return NoPath + $"-Path: the {type.Name} on the pipeline names no archive: pipe archives, backups (Get-PgBackup) or files, or give -Path";
            return inputData;
        }
        foreach (var name in PathProperties)
        {
            if (wrapped.Properties[name]?.Value is { } value && (value is PSObject inner ? inner.BaseObject : value) is string path)
                return path;
        }
        return NoPath + $"-Path: an object on the pipeline gives the archive as a property named {string.Join(", ", PathProperties[..^1])} or {PathProperties[^1]}; " +
               $"this one has none (its properties: {string.Join(", ", wrapped.Properties.Select(p => p.Name))})";
    }

    /// <summary>Starts the value bound for an object without a path: never the start of a path (<see cref="Refusal"/>).</summary>
    private const string NoPath = "\u0001";

    /// <summary>
    /// Starts the value bound for a phase that went through serialization: every phase piped with it did too, so the
    /// first one refused stops the command (<see cref="StopsCommand"/>) rather than one record per phase.
    /// </summary>
    private const string NoPlan = "\u0002";

    /// <summary>Why the -Path bound from the pipeline names no archive, or null when it is a path.</summary>
    public static string? Refusal(string path) =>
        path.StartsWith(NoPath, StringComparison.Ordinal) || path.StartsWith(NoPlan, StringComparison.Ordinal) ? path[1..] : null;

    /// <summary>The refusal of <paramref name="path"/> ends the command: nothing piped with it can run either.</summary>
    public static bool StopsCommand(string path) => path.StartsWith(NoPlan, StringComparison.Ordinal);
}
