using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Verification;

/// <summary>
/// Checks a restored database against its archive: every index, constraint, trigger, policy and row-security
/// setting exists and is valid, every materialized view is populated; and, with a source connection, every
/// table holds the same number of rows (without one, no table the archive holds rows for is empty). The catalogs
/// are read once, not per object.
/// </summary>
public static class RestoreVerifier
{
    /// <summary>
    /// Checks <paramref name="target"/> against the archive: every index, constraint, trigger and policy present and valid,
    /// and with <paramref name="source"/>, each table's rows counted as <paramref name="rowCounts"/> says.
    /// </summary>
    public static Task<VerificationResult> VerifyAsync(DumpArchive archive, PgConnectionInfo target, PgConnectionInfo? source,
        RowCountMode rowCounts, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => VerifyCoreAsync(archive, target, source, rowCounts, ct));

    private static async Task<VerificationResult> VerifyCoreAsync(DumpArchive archive, PgConnectionInfo target, PgConnectionInfo? source,
        RowCountMode rowCounts, CancellationToken ct)
    {
        await using var conn = await target.OpenAsync("pgphase verify", ct).ConfigureAwait(false);
        var catalog = await TargetCatalog.ReadAsync(conn, ct).ConfigureAwait(false);
        var (checkedObjects, differences) = CheckObjects(archive, catalog);
        int counted = 0;
        var notes = new List<string>();
        if (rowCounts != RowCountMode.None && source is not null)
            counted = await CountRowsAsync(archive, conn, source, rowCounts, differences, notes, ct).ConfigureAwait(false);
        else
            await CheckNotEmptyAsync(archive, conn, differences, ct).ConfigureAwait(false);

        return new VerificationResult
        {
            Target = target.ToString(),
            Source = source?.ToString() ?? archive.Source,
            ObjectsChecked = checkedObjects,
            TablesCounted = counted,
            RowCounts = source is null ? RowCountMode.None : rowCounts,
            Differences = differences,
            Notes = notes,
        };
    }

    /// <summary>
    /// Without row counts, the least a restore owes: a table the archive holds rows for is not empty in the target. A
    /// data phase that was stopped, or is still running, leaves its tables so while every object is in place. What
    /// the archive holds is read from its data blocks' stored sizes (a local file or folder; a bucket's archive is
    /// not read here): a block of more than <see cref="EmptyBlockBytes"/> bytes holds rows.
    /// </summary>
    private static async Task CheckNotEmptyAsync(DumpArchive archive, NpgsqlConnection conn, List<VerificationDifference> differences, CancellationToken ct)
    {
        // A block's size is the distance to the next block of the file: read from the whole TOC, never from a
        // selection of its entries (a restore limited to some tables), where the next one may be far behind.
        var whole = archive.Format == ArchiveFormat.Custom && File.Exists(archive.Source)
            ? await ArchiveReader.ReadAsync(new Storage.ArchiveLocation(archive.Source), ct).ConfigureAwait(false)
            : archive;
        var sizes = Restore.DataLoad.SplitTableChoice.DataSizes(whole);
        if (sizes.Count == 0)
            return;
        await using (var off = new NpgsqlCommand("SET row_security = off", conn))
            await off.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        foreach (var data in archive.Entries.Where(e => e.Type == "TABLE DATA" && e.Name is not null && sizes.GetValueOrDefault(e.DumpId) > EmptyBlockBytes))
        {
            bool any;
            try
            {
                await using var cmd = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM ONLY {SqlText.Qualified(data.Schema, data.Name!)})", conn);
                any = (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                continue; // absent from the target: the object check has already reported it missing
            }
            catch (PostgresException ex) when (RowSecurity.Refused(ex))
            {
                continue; // rows this role may not read past a forced policy: left to a count against the source
            }
            if (!any)
                differences.Add(new(DifferenceKind.RowCount, "TABLE", data.Schema, data.Name!, $"rows ({Storage.SizeText.Format(sizes[data.DumpId])} of data in the archive)", "0 rows", data.DumpId));
        }
    }

    /// <summary>The most a table's data block without rows takes as stored: its header and an empty, possibly compressed, stream.</summary>
    private const long EmptyBlockBytes = 64;

    /// <summary>Each index, constraint, trigger, policy and relation of the archive looked up in the target: how many were checked, and what differs.</summary>
    private static (int Checked, List<VerificationDifference> Differences) CheckObjects(DumpArchive archive, TargetCatalog catalog)
    {
        var differences = new List<VerificationDifference>();
        int checkedObjects = 0;
        foreach (var e in archive.Entries)
        {
            var difference = e.Type switch
            {
                "INDEX" => CheckIndex(e, catalog),
                "CONSTRAINT" or "FK CONSTRAINT" or "CHECK CONSTRAINT" => CheckConstraint(e, catalog),
                "TRIGGER" => CheckNamed(e, "TRIGGER", catalog.Triggers),
                "POLICY" => CheckNamed(e, "POLICY", catalog.Policies),
                "ROW SECURITY" => CheckRowSecurity(e, catalog),
                "TABLE" or "MATERIALIZED VIEW" or "VIEW" or "SEQUENCE" => CheckRelation(e, catalog),
                "MATERIALIZED VIEW DATA" => CheckPopulated(e, catalog),
                _ => (VerificationDifference?)null,
            };
            if (e.Type is "INDEX" or "CONSTRAINT" or "FK CONSTRAINT" or "CHECK CONSTRAINT" or "TRIGGER" or "POLICY" or "ROW SECURITY"
                or "TABLE" or "MATERIALIZED VIEW" or "VIEW" or "SEQUENCE" or "MATERIALIZED VIEW DATA")
                checkedObjects++;
            if (difference is not null)
                differences.Add(difference);
        }
        return (checkedObjects, differences);
    }

    /// <summary>Each table's rows in the target against the source (exactly, or against its estimate); returns the tables counted.</summary>
    private static async Task<int> CountRowsAsync(DumpArchive archive, NpgsqlConnection conn, PgConnectionInfo source, RowCountMode rowCounts,
        List<VerificationDifference> differences, List<string> notes, CancellationToken ct)
    {
        int counted = 0;
        await using var src = await source.OpenAsync("pgphase verify", ct).ConfigureAwait(false);
        // Count every row, not the rows a policy lets this role see (an error instead where it cannot bypass them).
        foreach (var session in new[] { conn, src })
        {
            await using var off = new NpgsqlCommand("SET row_security = off", session);
            await off.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        foreach (var data in archive.Entries.Where(e => e.Type == "TABLE DATA" && e.Name is not null))
        {
            var table = SqlText.Qualified(data.Schema, data.Name!);
            long actual, expected;
            try
            {
                actual = await CountAsync(conn, table, ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                continue; // absent from the target: the object check has already reported it missing
            }
            catch (PostgresException ex) when (RowSecurity.Refused(ex))
            {
                notes.Add(RowSecurity.NotCounted(data.QualifiedName));
                continue;
            }
            try
            {
                expected = rowCounts == RowCountMode.Exact
                    ? await CountAsync(src, table, ct).ConfigureAwait(false)
                    : await EstimateAsync(src, data.Schema, data.Name!, ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                notes.Add($"{data.QualifiedName}: rows not compared, the source has no such table now (dropped or renamed since the dump)");
                continue;
            }
            catch (PostgresException ex) when (RowSecurity.Refused(ex))
            {
                notes.Add(RowSecurity.NotCounted(data.QualifiedName));
                continue;
            }
            counted++;
            bool matches = rowCounts == RowCountMode.Exact
                ? expected == actual
                : expected < 0 || Math.Abs(expected - actual) <= Math.Max(1000, expected / 10);
            if (!matches)
                differences.Add(new(DifferenceKind.RowCount, "TABLE", data.Schema, data.Name!,
                    rowCounts == RowCountMode.Exact ? Plural.Of(expected, "row") : $"about {Plural.Of(expected, "row")}", Plural.Of(actual, "row"), data.DumpId));
        }
        return counted;
    }

    private static async Task<long> CountAsync(NpgsqlConnection conn, string table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM ONLY {table}", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static async Task<long> EstimateAsync(NpgsqlConnection conn, string? schema, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", conn)
        {
            Parameters = { new() { Value = schema ?? "public" }, new() { Value = name } },
        };
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long v ? v : -1;
    }

    private static VerificationDifference? CheckIndex(TocEntry e, TargetCatalog c)
    {
        var key = (e.Schema ?? "", e.Name ?? "");
        if (!c.Indexes.TryGetValue(key, out bool valid))
            return new(DifferenceKind.Missing, "INDEX", e.Schema, e.Name ?? "", "present", "absent", e.DumpId);
        return valid ? null : new(DifferenceKind.Invalid, "INDEX", e.Schema, e.Name ?? "", "valid", "invalid (indisvalid = false)", e.DumpId);
    }

    private static VerificationDifference? CheckConstraint(TocEntry e, TargetCatalog c)
    {
        if (ObjectNames.Constraint(e.Definition) is not { } n)
            return null; // not a plain ADD CONSTRAINT; nothing reliable to look up
        var label = e.Type;
        if (!c.Constraints.TryGetValue((n.Schema, n.Relation, n.Name), out bool validated))
            return new(DifferenceKind.Missing, label, n.Schema, $"{n.Relation}.{n.Name}", "present", "absent", e.DumpId);
        bool expectValidated = !e.Definition!.Contains("NOT VALID", StringComparison.Ordinal);
        return validated == expectValidated ? null :
            new(DifferenceKind.Invalid, label, n.Schema, $"{n.Relation}.{n.Name}", expectValidated ? "validated" : "NOT VALID", validated ? "validated" : "not validated", e.DumpId);
    }

    private static VerificationDifference? CheckNamed(TocEntry e, string keyword, HashSet<(string, string, string)> present)
    {
        if (ObjectNames.OnRelation(e.Definition, keyword) is not { } n)
            return null;
        return present.Contains(n) ? null : new(DifferenceKind.Missing, keyword, n.Schema, $"{n.Relation}.{n.Name}", "present", "absent", e.DumpId);
    }

    private static VerificationDifference? CheckRowSecurity(TocEntry e, TargetCatalog c)
    {
        var key = (e.Schema ?? "", e.Name ?? "");
        return c.RowSecurity.Contains(key) ? null : new(DifferenceKind.Missing, "ROW SECURITY", e.Schema, e.Name ?? "", "enabled", "disabled", e.DumpId);
    }

    private static VerificationDifference? CheckRelation(TocEntry e, TargetCatalog c) =>
        c.Relations.ContainsKey((e.Schema ?? "", e.Name ?? "")) ? null :
            new(DifferenceKind.Missing, e.Type, e.Schema, e.Name ?? "", "present", "absent", e.DumpId);

    private static VerificationDifference? CheckPopulated(TocEntry e, TargetCatalog c)
    {
        if (!c.Relations.TryGetValue((e.Schema ?? "", e.Name ?? ""), out bool populated))
            return new(DifferenceKind.Missing, "MATERIALIZED VIEW", e.Schema, e.Name ?? "", "present", "absent", e.DumpId);
        return populated ? null : new(DifferenceKind.Invalid, "MATERIALIZED VIEW", e.Schema, e.Name ?? "", "populated", "not populated", e.DumpId);
    }
}
