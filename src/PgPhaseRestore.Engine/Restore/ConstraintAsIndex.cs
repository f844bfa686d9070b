using System.Text.RegularExpressions;
using Npgsql;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// A late PRIMARY KEY or UNIQUE constraint built in two steps: <c>CREATE UNIQUE INDEX</c>, which takes SHARE on the
/// table so that the table's other builds run beside it, then, once none of them runs, <c>ALTER TABLE ... ADD
/// CONSTRAINT ... USING INDEX</c>, which takes ACCESS EXCLUSIVE only for the instant it records the constraint. Built
/// as pg_dump wrote it, <c>ADD CONSTRAINT ... PRIMARY KEY</c> holds ACCESS EXCLUSIVE for its whole sort, so it ran alone
/// on its table, often last and on one core. The result is the same index and constraint, under the same names.
/// </summary>
/// <remarks>
/// Each step commits on its own: nothing is held while the constraint waits for its turn, so no lock of this run can
/// stand in the way of another session's. A run that ends between the steps leaves the index alone; the next run
/// keeps it when it is the one this constraint builds (its definition, read back from the server, is the statement's)
/// and only adds the constraint. Only pg_dump's plain form is taken (key columns, INCLUDE, NULLS NOT DISTINCT, storage
/// parameters) in an archive whose text is UTF-8, as the session's is; anything more (DEFERRABLE, CLUSTER ON, REPLICA
/// IDENTITY, an extension dependency in the same entry) is restored by pg_restore as written. Constraints of
/// partitioned tables, which ADD CONSTRAINT ... USING INDEX refuses, are never built late.
/// </remarks>
internal sealed partial class ConstraintAsIndex
{
    private readonly TocEntry _entry;
    private readonly string _index;

    private ConstraintAsIndex(TocEntry entry, string index, string createIndex, string addConstraint)
    {
        _entry = entry;
        _index = index;
        CreateIndex = createIndex;
        AddConstraint = addConstraint;
    }

    /// <summary>The statement that builds the index, as the server prints the index's definition back.</summary>
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
        string schema = m.Groups["schema"].Value, table = schema + "." + m.Groups["table"].Value, name = m.Groups["name"].Value;
        return new ConstraintAsIndex(entry, schema + "." + name,
            $"CREATE UNIQUE INDEX {name} ON {table} USING btree ({m.Groups["keys"].Value}){m.Groups["include"].Value}{m.Groups["nulls"].Value}{m.Groups["with"].Value}",
            $"ALTER TABLE ONLY {table} ADD CONSTRAINT {name} {m.Groups["kind"].Value} USING INDEX {name}");
    }

    /// <summary>
    /// Builds and commits the index with <paramref name="maintenanceWorkMemKb"/> and no parallel workers (or keeps the
    /// one an earlier run built), awaits <paramref name="sorted"/> (the table's other builds have ended and none
    /// starts until this one has), then adds the constraint. <paramref name="when"/> says when, for its error;
    /// <paramref name="log"/> hears of an index kept.
    /// </summary>
    public async Task RunAsync(long maintenanceWorkMemKb, string when, RestoreOptions options, Func<Task> sorted, Action<string>? log, CancellationToken ct)
    {
        string step = "opening a session";
        try
        {
            await using (var conn = await RestoreSession.OpenAsync(options, inTransaction: true, ct).ConfigureAwait(false))
            {
                step = "looking for the index in the target";
                if (await BuiltBeforeAsync(conn, ct).ConfigureAwait(false) is { } built && Unquoted(built) == Unquoted(CreateIndex))
                {
                    log?.Invoke($"{_entry.QualifiedName}: its unique index was built by an earlier run, and is kept");
                }
                else
                {
                    step = "setting the build's memory";
                    // pg_restore's own choice of tablespace for the entry: none when unset, the database's default when empty.
                    if (_entry.Tablespace is { } tablespace)
                        await RestoreSession.SetAsync(conn, "default_tablespace", tablespace, local: true, ct).ConfigureAwait(false);
                    await RestoreSession.SetAsync(conn, "maintenance_work_mem", $"{maintenanceWorkMemKb}kB", local: true, ct).ConfigureAwait(false);
                    await RestoreSession.SetAsync(conn, "max_parallel_maintenance_workers", "0", local: true, ct).ConfigureAwait(false);
                    step = CreateIndex;
                    await RestoreSession.ExecuteAsync(conn, CreateIndex, ct).ConfigureAwait(false);
                }
                step = "COMMIT of the index";
                await RestoreSession.ExecuteAsync(conn, "COMMIT", ct).ConfigureAwait(false);
            }
            step = "waiting for the table's other builds";
            await sorted().WaitAsync(ct).ConfigureAwait(false);
            step = "opening a session";
            await using (var conn = await RestoreSession.OpenAsync(options, inTransaction: true, ct).ConfigureAwait(false))
            {
                step = AddConstraint;
                await RestoreSession.ExecuteAsync(conn, AddConstraint, ct).ConfigureAwait(false);
                step = "COMMIT of the constraint";
                await RestoreSession.ExecuteAsync(conn, "COMMIT", ct).ConfigureAwait(false);
            }
        }
        catch (PostgresException ex)
        {
            throw new PgPhaseException($"{_entry.TocLabel}, {when}: {ex.MessageText} (at {step})", PgPhaseErrorCode.RestoreFailed, ex);
        }
        catch (NpgsqlException ex) when (!ct.IsCancellationRequested)
        {
            throw PgPhaseException.Wrap($"{_entry.TocLabel}, {when}: {ex.Message} (at {step})", ex, PgPhaseErrorCode.RestoreFailed);
        }
        catch (PgPhaseException ex)
        {
            // A session that could not be opened: this entry's failure, as when its pg_restore cannot connect.
            throw new PgPhaseException($"{_entry.TocLabel}, {when}: {ex.Message}", PgPhaseErrorCode.RestoreFailed, ex);
        }
    }

    // The definition of a valid index of this name in the table's schema that backs no constraint yet, as the server
    // prints it; null when none.
    private async Task<string?> BuiltBeforeAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var look = new NpgsqlCommand("""
            SELECT pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i
            WHERE i.indexrelid = pg_catalog.to_regclass($1) AND i.indisvalid
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid)
            """, conn) { Parameters = { new() { Value = _index } } };
        return await look.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    // pg_dump quotes names and storage parameters' values its own way (every one, with --quote-all-identifiers), the
    // server its way: the definitions are compared without the quotes.
    private static string Unquoted(string definition) => definition.Replace("\"", "", StringComparison.Ordinal).Replace("'", "", StringComparison.Ordinal);

    // pg_dump's dumpConstraint for an index-backed constraint: names as fmtId writes them (lower-case, digits and
    // underscores bare, anything else quoted), storage parameters as name=value, the value quoted unless a bare name.
    private const string Id = @"(?:[a-z_][a-z0-9_]*|""(?:[^""]|"""")+"")";
    private const string Option = Id + @"=(?:'[^'\\;]*'|[a-z_][a-z0-9_]*)";

    [GeneratedRegex(@"\AALTER TABLE ONLY (?<schema>" + Id + @")\.(?<table>" + Id + @")\n    ADD CONSTRAINT (?<name>" + Id + @") " +
                    @"(?:(?<kind>PRIMARY KEY)|(?<kind>UNIQUE)(?<nulls> NULLS NOT DISTINCT)?) \((?<keys>" + Id + "(?:, " + Id + @")*)\)(?<include> INCLUDE \(" + Id + "(?:, " + Id + @")*\))?" +
                    @"(?<with> WITH \(" + Option + "(?:, " + Option + @")*\))?;\n?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainForm();
}
