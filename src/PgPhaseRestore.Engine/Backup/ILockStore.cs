namespace PgPhaseRestore.Engine.Backup;

/// <summary>One lock record as stored: its text, and what the store knows of its version and age.</summary>
internal sealed record LockRecord(string Text, string? ETag, DateTimeOffset? LastModified);

/// <summary>Where a lock lives: an object beside the key, or a file beside the local path.</summary>
internal interface ILockStore
{
    /// <summary>The lock's own location, for messages.</summary>
    string Name { get; }

    Task<LockRecord?> ReadAsync(CancellationToken ct);

    /// <summary>Writes the lock where there is none; false when the store could tell that one exists.</summary>
    Task<bool> CreateAsync(string text, CancellationToken ct);

    /// <summary>Replaces the lock read with <paramref name="etag"/>; false when the store could tell it changed since.</summary>
    Task<bool> ReplaceAsync(string text, string? etag, CancellationToken ct);

    /// <summary>
    /// Right after <see cref="CreateAsync"/> succeeded: whether a second create of this run's own lock is refused,
    /// which proves the store decides creation races at the write, so no read-back pause is needed.
    /// </summary>
    Task<bool> RefusesSecondCreateAsync(string text, CancellationToken ct);

    Task DeleteAsync(CancellationToken ct);
}
