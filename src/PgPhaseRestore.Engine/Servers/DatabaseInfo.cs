namespace PgPhaseRestore.Engine.Servers;

/// <summary>
/// A database on a server. <see cref="Source"/> is a connection string for it (no password) and
/// <see cref="Name"/> its name, so it binds by property name to the backup and copy commands.
/// </summary>
public sealed record DatabaseInfo(
    string Name, string Owner, string Encoding, string Collation, long? Size,
    bool IsTemplate, bool AllowConnections, bool CanConnect, string Server, string Source)
{
    public override string ToString() => $"{Name} ({(Size is { } s ? Storage.SizeText.Format(s) : "size unknown")}) on {Server}";
}
