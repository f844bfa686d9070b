using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Processes;

/// <summary>
/// A temporary libpq password file (mode 0600) for one child process, deleted on dispose, so that a password
/// never travels through arguments or the environment of pg_dump and pg_restore.
/// </summary>
internal sealed class PasswordFile : IDisposable
{
    private PasswordFile(string path) => Path = path;

    public string Path { get; }

    public static PasswordFile? Create(PgConnectionInfo connection)
    {
        if (!connection.HasPassword)
            return null;
        RemoveOrphans();
        var path = ProcessScopedTemp.NewPath(Prefix, ".pgpass");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            // One wildcard line: the file serves exactly one connection of one child process.
            writer.Write("*:*:*:*:");
            writer.Write(Escape(connection.Password!));
            writer.Write('\n');
        }
        return new PasswordFile(path);
    }

    private const string Prefix = "pgphase-";

    /// <summary>Files of this process still in use (name pattern for checks and clean-up).</summary>
    public static string PatternFor(int processId) => $"{Prefix}{processId}-*.pgpass";

    /// <summary>A process killed outright (SIGKILL, power loss) cannot delete its file: the next run removes it.</summary>
    private static void RemoveOrphans() => ProcessScopedTemp.RemoveOrphans(Prefix, ".pgpass", directories: false);

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(":", "\\:");

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
