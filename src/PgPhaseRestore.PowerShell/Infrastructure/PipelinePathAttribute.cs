using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// -Path from a custom object on the pipeline (Import-Csv, [pscustomobject]) is its Path property (else LiteralPath,
/// Location or FullName), never the object turned into text. A row that carries TargetConnection too binds that
/// by property name first, and PowerShell then takes the default parameter set's view: without this, -Path got
/// "@{Path=...; TargetConnection=...password=...}" and said so in its error. A custom object with none of those
/// properties is refused by the cmdlet, naming its properties only: a binding error would carry the object itself
/// (and any password in it) as its target. Strings, files and the module's own objects bind as before.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class PipelinePathAttribute : ArgumentTransformationAttribute
{
    private static readonly string[] PathProperties = ["Path", "LiteralPath", "Location", "FullName"];

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (inputData is not PSObject { BaseObject: PSCustomObject } custom)
            return inputData;
        foreach (var name in PathProperties)
        {
            if (custom.Properties[name]?.Value is { } value && (value is PSObject wrapped ? wrapped.BaseObject : value) is string path)
                return path;
        }
        return NoPath + $"-Path: an object on the pipeline gives the archive as a property named {string.Join(", ", PathProperties[..^1])} or {PathProperties[^1]}; " +
               $"this one has none (its properties: {string.Join(", ", custom.Properties.Select(p => p.Name))})";
    }

    /// <summary>Starts the value bound for an object without a path: never the start of a path (<see cref="Refusal"/>).</summary>
    private const string NoPath = "\u0001";

    /// <summary>Why the -Path bound from the pipeline names no archive, or null when it is a path.</summary>
    public static string? Refusal(string path) => path.StartsWith(NoPath, StringComparison.Ordinal) ? path[NoPath.Length..] : null;
}
