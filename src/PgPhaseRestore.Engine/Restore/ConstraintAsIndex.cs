using System.Text.RegularExpressions;
using Npgsql;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// A late PRIMARY KEY or UNIQUE constraint built in two steps of one transaction: <c>CREATE UNIQUE INDEX</c>, which
/// takes SHARE on the table so that the table's other builds run beside it, then <c>ALTER TABLE ... ADD CONSTRAINT
/// ... USING INDEX</c>, which takes ACCESS EXCLUSIVE only for the instant it records the constraint. Built as pg_dump
/// wrote it, <c>ADD CONSTRAINT ... PRIMARY KEY</c> holds ACCESS EXCLUSIVE for its whole sort, so it ran alone on its
/// table, often last and on one core. The result is the same index and constraint, under the same names.
/// </summary>
/// <remarks>
/// Only pg_dump's plain form is taken (key columns, INCLUDE, NULLS NOT DISTINCT, storage parameters), in an archive
/// whose text is UTF-8 as the session's. Anything more (DEFERRABLE, CLUSTER ON, REPLICA IDENTITY, an extension
/// dependency in the same entry) is restored by pg_restore as written.
/// </remarks>
internal sealed partial class ConstraintAsIndex
{
    private readonly TocEntry _entry;

    private ConstraintAsIndex(TocEntry entry, string createIndex, string addConstraint)
    {
        _entry = entry;
        CreateIndex = createIndex;
        AddConstraint = addConstraint;
    }

    /// <summary>The statement that builds the index.</summary>
    public string CreateIndex { get; }

    /// <summary>The statement that makes the built index the constraint.</summary>
    public string AddConstraint { get; }

    /// <summary>The two steps for a constraint entry, or null when it is not pg_dump's plain form.</summary>
    public static ConstraintAsIndex? Of(TocEntry entry, DumpArchive archive)
    {
        if (entry.Type != "CONSTRAINT" || entry.Definition is not { } definition || !ServerEncoding.IsUtf8(archive))
            return null;
        var m = PlainForm().Match(definition);
        if (!m.Success)
            return null;
        string table = m.Groups["table"].Value, name = m.Groups["name"].Value;
        return new ConstraintAsIndex(entry,
            $"CREATE UNIQUE INDEX {name} ON {table} USING btree ({m.Groups["keys"].Value}){m.Groups["include"].Value}{m.Groups["nulls"].Value}{m.Groups["with"].Value}",
            $"ALTER TABLE ONLY {table} ADD CONSTRAINT {name} {m.Groups["kind"].Value} USING INDEX {name}");
    }

    /// <summary>
    /// Builds the index with <paramref name="maintenanceWorkMemKb"/> and no parallel workers, awaits
    /// <paramref name="built"/> (the table's other builds have ended, none starts until this one has) with the
    /// transaction open, then adds the constraint and commits. <paramref name="when"/> says when, for its error.
    /// </summary>
    public async Task RunAsync(long maintenanceWorkMemKb, string when, RestoreOptions options, Func<Task> built, CancellationToken ct)
    {
        string step = "opening a session";
        try
        {
            await using var conn = await RestoreSession.OpenAsync(options, inTransaction: true, ct).ConfigureAwait(false);
            step = CreateIndex;
            // pg_restore's own choice of tablespace for the entry: none when unset, the database's default when empty.
            if (_entry.Tablespace is { } tablespace)
                await RestoreSession.SetAsync(conn, "default_tablespace", tablespace, local: true, ct).ConfigureAwait(false);
            await RestoreSession.SetAsync(conn, "maintenance_work_mem", $"{maintenanceWorkMemKb}kB", local: true, ct).ConfigureAwait(false);
            await RestoreSession.SetAsync(conn, "max_parallel_maintenance_workers", "0", local: true, ct).ConfigureAwait(false);
            await RestoreSession.ExecuteAsync(conn, CreateIndex, ct).ConfigureAwait(false);
            await built().WaitAsync(ct).ConfigureAwait(false);
            step = AddConstraint;
            await RestoreSession.ExecuteAsync(conn, AddConstraint, ct).ConfigureAwait(false);
            step = "COMMIT";
            await RestoreSession.ExecuteAsync(conn, "COMMIT", ct).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new PgPhaseException($"TOC entry {_entry.DumpId} ({_entry.Type} {_entry.QualifiedName}), {when}: {ex.MessageText} (at {step})",
                PgPhaseErrorCode.RestoreFailed, ex);
        }
        catch (NpgsqlException ex) when (!ct.IsCancellationRequested)
        {
            throw PgPhaseException.Wrap($"TOC entry {_entry.DumpId} ({_entry.Type} {_entry.QualifiedName}), {when}: {ex.Message} (at {step})",
                ex, PgPhaseErrorCode.RestoreFailed);
        }
    }

    // pg_dump's dumpConstraint for an index-backed constraint: names as fmtId writes them (lower-case, digits and
    // underscores bare, anything else quoted), storage parameters as name=value, the value quoted unless a bare name.
    private const string Id = @"(?:[a-z_][a-z0-9_]*|""(?:[^""]|"""")+"")";
    private const string Option = @"[a-z_][a-z0-9_.]*=(?:'[^'\\;]*'|[a-z_][a-z0-9_]*)";

    [GeneratedRegex(@"\AALTER TABLE ONLY (?<table>" + Id + @"\." + Id + @")\n    ADD CONSTRAINT (?<name>" + Id + @") (?<kind>PRIMARY KEY|UNIQUE)" +
                    @"(?<nulls> NULLS NOT DISTINCT)? \((?<keys>" + Id + "(?:, " + Id + @")*)\)(?<include> INCLUDE \(" + Id + "(?:, " + Id + @")*\))?" +
                    @"(?<with> WITH \(" + Option + "(?:, " + Option + @")*\))?;\n?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainForm();
}
