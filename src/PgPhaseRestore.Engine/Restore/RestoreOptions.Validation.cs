namespace PgPhaseRestore.Engine.Restore;

public sealed partial record RestoreOptions
{
    /// <summary>
    /// Refuses options that could only fail later, once the target database has been created or changed: hosts
    /// call this before they start a restore (the check needs no connection).
    /// </summary>
    public void Validate()
    {
        if (Jobs < 1)
            throw new PgPhaseException($"jobs must be 1 or more, not {Jobs}", PgPhaseErrorCode.InvalidInput);
        var unknown = Phases.Where(p => p is < 1 or > 4).ToList();
        if (unknown.Count > 0)
            throw new PgPhaseException($"phase {string.Join(", ", unknown)} does not exist; the phases are 1 schema, 2 indexes, 3 data, 4 post-data", PgPhaseErrorCode.InvalidInput);
        if (ListDirectory is { } lists)
            CheckFolder(lists, "list folder");
        // Written only once the target is locked, after it may have been created: a folder would fail there.
        if (JournalPath is { } journal && Directory.Exists(journal))
            throw new PgPhaseException($"journal {journal} is a folder: give the journal file's own path (one file per target database), or leave it out for the default folder",
                PgPhaseErrorCode.InvalidInput);
        foreach (var (name, value) in SessionSettings)
        {
            // Each goes to the server as "-c name=value" in PGOPTIONS: a name with a space or a ";" would become
            // other options, and the server would refuse it only after the target database was created.
            if (!SettingName().IsMatch(name))
                throw new PgPhaseException($"session setting \"{name}\" is not a setting's name (letters, digits and _, with one . for an extension's own setting)", PgPhaseErrorCode.InvalidInput);
            if (value.Any(char.IsControl))
                throw new PgPhaseException($"session setting {name}: its value holds a control character", PgPhaseErrorCode.InvalidInput);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")]
    private static partial System.Text.RegularExpressions.Regex SettingName();

    /// <summary>An existing folder, or an error naming the path and what it is for.</summary>
    internal static void CheckFolder(string path, string what)
    {
        if (File.Exists(path))
            throw new PgPhaseException($"{what} {path} is a file, not a folder", PgPhaseErrorCode.InvalidInput);
        if (!Directory.Exists(path))
            throw new PgPhaseException($"{what} {path} does not exist", PgPhaseErrorCode.InvalidInput);
    }
}
