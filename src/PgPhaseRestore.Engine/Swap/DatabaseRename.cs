namespace PgPhaseRestore.Engine.Swap;

/// <summary>A rename a swap will run, in order.</summary>
/// <param name="From">The name the database has now.</param>
/// <param name="To">The name it gets.</param>
public sealed record DatabaseRename(string From, string To)
{
    /// <summary>"from" -> "to".</summary>
    public override string ToString() => $"\"{From}\" -> \"{To}\"";
}
