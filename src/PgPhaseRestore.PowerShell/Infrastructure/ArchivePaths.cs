using System.Management.Automation;
using Microsoft.PowerShell.Commands;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// -Path and -LiteralPath as PowerShell's own cmdlets read them: wildcards in -Path expand through the provider to the
/// files and folders that exist, -LiteralPath is taken as written. s3:// URIs are never expanded: * and ? are
/// ordinary characters in an object key.
/// </summary>
internal static class ArchivePaths
{
    /// <summary>The ErrorId of a -Path pattern that matches nothing.</summary>
    public const string PathNotFound = "PgPhaseRestore.PathNotFound";

    /// <summary>
    /// The file system paths (or the URI) that <paramref name="path"/> names. A path without wildcards, or a literal
    /// one, need not exist yet: reading it reports what is missing, as before.
    /// </summary>
    /// <exception cref="ItemNotFoundException">A pattern that matches nothing.</exception>
    public static IReadOnlyList<string> Resolve(SessionState session, string path, bool literal)
    {
        if (path.Contains("://", StringComparison.Ordinal))
            return [path];
        if (literal)
            return [session.Path.GetUnresolvedProviderPathFromPSPath(path)];
        // A pattern without wildcards names one item: its escapes (odd`[1`].dump) are undone, as Get-Item undoes them.
        if (!WildcardPattern.ContainsWildcardCharacters(path))
            return [session.Path.GetUnresolvedProviderPathFromPSPath(WildcardPattern.Unescape(path))];

        List<string> found;
        ProviderInfo? provider = null;
        try
        {
            found = [.. session.Path.GetResolvedProviderPathFromPSPath(path, out provider)];
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException)
        {
            found = [];
        }
        if (found.Count > 0 && provider?.ImplementingType != typeof(FileSystemProvider))
            throw new ItemNotFoundException($"'{path}' is not a file system path: an archive is a file, a folder or an s3:// URI.");
        return found.Count > 0 ? found : throw new ItemNotFoundException($"No file or folder matches '{path}'.");
    }

    /// <summary>
    /// The record for a pattern that matches nothing, with the pattern as its target and a message that names the
    /// parameter it was given to (-Path unless said otherwise).
    /// </summary>
    public static ErrorRecord NotFound(ItemNotFoundException ex, string path, string parameter = "Path")
    {
        var action = parameter == "Path" ? "Check -Path, or give the name with -LiteralPath if it holds [, ] or *." : $"Check -{parameter}.";
        return ErrorRecords.WithAction(ex, PathNotFound, ErrorCategory.ObjectNotFound, path, action);
    }
}
