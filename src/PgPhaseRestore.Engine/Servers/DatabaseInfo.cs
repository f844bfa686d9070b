namespace PgPhaseRestore.Engine.Servers;

/// <summary>
/// A database on a server. <see cref="Source"/> is a connection string for it (no password), naming it, so it binds
/// by property name to the backup and copy commands.
/// </summary>
/// <param name="Name">The database's name.</param>
/// <param name="Owner">Its owner.</param>
/// <param name="Encoding">Its encoding.</param>
/// <param name="Collation">Its default collation.</param>
/// <param name="Size">Its size in bytes; null where the user may not connect to it.</param>
/// <param name="IsTemplate">Whether it is a template.</param>
/// <param name="AllowConnections">Whether it accepts connections (datallowconn).</param>
/// <param name="CanConnect">Whether the listing user has CONNECT on it.</param>
/// <param name="Server">The server, host:port.</param>
/// <param name="Source">A connection string for it, without password; binds to -SourceConnection.</param>
public sealed record DatabaseInfo(
    string Name, string Owner, string Encoding, string Collation, long? Size,
    bool IsTemplate, bool AllowConnections, bool CanConnect, string Server, string Source)
{
    /// <summary>Name, size and server on one line.</summary>
    public override string ToString() => $"{Name} ({(Size is { } s ? Storage.SizeText.Format(s) : "size unknown")}) on {Server}";
}
