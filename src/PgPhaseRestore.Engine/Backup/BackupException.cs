namespace PgPhaseRestore.Engine.Backup;

/// <summary>A backup could not be made; the message says what was left behind (nothing, by design).</summary>
public sealed class BackupException(string message, Exception? inner = null) : Exception(message, inner);
