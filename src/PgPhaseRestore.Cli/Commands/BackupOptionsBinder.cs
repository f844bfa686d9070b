using PgPhaseRestore.Engine;
using System.CommandLine;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// What `backup` and `copy` share: the source (SRC_PGHOST, SRC_PGPORT, SRC_PGUSER, SRC_PGPASSWORD, SRC_DBNAME),
/// the destination, pg_dump's selection and the multipart settings (S3_CHUNK_SIZE, DUMP_COMPRESS, BACKUP_NAME).
/// </summary>
internal sealed class BackupOptionsBinder
{
    public Option<string?> Source { get; } = ConnectionOptions.Create("--source", "Source database: libpq string or URI (default: SRC_PG*/SRC_DBNAME, then PG* variables)");
    public Option<string> To { get; } = Destination(new("--to") { Description = "File, folder (directory format) or s3://bucket/key; ending in / it is a prefix: <prefix><database>/<name>.dump", Required = true });
    public Option<string?> Name { get; } = new("--name") { Description = "Backup name under a prefix (default: BACKUP_NAME, then the UTC time)" };
    public Option<BackupFormat> Format { get; } = OptionValues.Choice("--format", "-F", "custom (one file or object) or directory (local folder, parallel jobs)", BackupFormat.Custom);
    public Option<int> Jobs { get; } = OptionValues.Count("--dump-jobs", null, "Parallel pg_dump jobs (directory format)", 1, 1);
    public Option<string?> Compress { get; } = new("--compress", "-Z") { Description = "pg_dump compression: 0-9, or method[:detail] with pg_dump 16+ (default: DUMP_COMPRESS, then pg_dump's)" };
    public Option<string[]> Schemas { get; } = new("--schema", "-n") { Description = "Dump only this schema (pg_dump pattern; repeatable)" };
    public Option<string[]> ExcludeSchemas { get; } = new("--exclude-schema", "-N") { Description = "Leave out this schema (repeatable)" };
    public Option<string[]> Tables { get; } = new("--table", "-t") { Description = "Dump only this table (repeatable)" };
    public Option<string[]> ExcludeTables { get; } = new("--exclude-table", "-T") { Description = "Leave out this table (repeatable)" };
    public Option<string[]> ExcludeTableData { get; } = new("--exclude-table-data") { Description = "Dump this table's definition but not its rows (repeatable)" };
    public Option<int?> LockWait { get; } = OptionValues.OptionalCount("--lock-wait-timeout", "Seconds to wait for a table lock before failing", 0);
    public Option<bool> Force { get; } = new("--force") { Description = "Replace an existing complete backup at the destination (never one another run is still writing)" };
    public Option<bool> SkipChecks { get; } = new("--skip-checks") { Description = "Skip the up-front reachability checks" };
    public Option<string?> PartSize { get; } = new("--part-size", "--s3-chunk-size") { Description = $"First multipart part size, e.g. 8MiB; parts grow from there (default: S3_CHUNK_SIZE, then {SizeText.Format(MultipartOptions.DefaultInitialPartSize)})" };
    public Option<string?> MaxPartSize { get; } = new("--max-part-size") { Description = $"Largest part size: caps memory at parts-in-flight x this (default {SizeText.Format(MultipartOptions.S3MaxPartSize)})" };
    public Option<int> MaxParts { get; } = OptionValues.Count("--max-parts", null, $"The server's part limit (default {MultipartOptions.S3MaxParts}; Scaleway: 1000)", 1, MultipartOptions.S3MaxParts);
    public Option<int> PartsInFlight { get; } = OptionValues.Count("--parts-in-flight", null, $"Parts held in memory and uploading at once (default {MultipartOptions.DefaultPartsInFlight})", 1,
        MultipartOptions.DefaultPartsInFlight);
    public Option<string?> PgDump { get; } = new("--pg-dump") { Description = "pg_dump to use: file or bin folder (default: one at least as new as the server)" };

    /// <summary>
    /// Adds the options to <paramref name="command"/>; pg_dump's selection (-n, -N, -t, -T) only when
    /// <paramref name="withSelection"/>: `copy` selects once, with the plan's options, for the dump and the restore.
    /// </summary>
    public void AddTo(Command command, bool withSelection = true)
    {
        var selection = withSelection ? new Option[] { Schemas, ExcludeSchemas, Tables, ExcludeTables } : [];
        foreach (var o in new Option[] { Source, To, Name, Format, Jobs, Compress }.Concat(selection).Concat([ExcludeTableData,
                     LockWait, Force, SkipChecks, PartSize, MaxPartSize, MaxParts, PartsInFlight, PgDump]))
            command.Options.Add(o);
    }

    // "s3://" or "s3:///key" has no bucket: refused while parsing, naming the option.
    private static Option<string> Destination(Option<string> option)
    {
        option.Validators.Add(r =>
        {
            try
            {
                BackupOptions.CheckDestination(r.GetValueOrDefault<string>() ?? "");
            }
            catch (PgPhaseException ex)
            {
                r.AddError($"{option.Name} {ex.Message}");
            }
        });
        return option;
    }

    // Only the command that took these options reads them (copy's -n and -t are the plan's).
    private static string[] Selection(ParseResult r, Option<string[]> option) =>
        r.CommandResult.Command.Options.Contains(option) ? r.GetValue(option) ?? [] : [];

    public BackupOptions Read(ParseResult r, S3Settings storage)
    {
        string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        var partSize = r.GetValue(PartSize) ?? Env("S3_CHUNK_SIZE");
        var maxPart = r.GetValue(MaxPartSize);
        var multipart = new MultipartOptions
        {
            InitialPartSize = partSize is null ? MultipartOptions.DefaultInitialPartSize : SizeText.Parse(partSize),
            MaxPartSize = maxPart is null ? MultipartOptions.S3MaxPartSize : SizeText.Parse(maxPart),
            MaxParts = r.GetValue(MaxParts),
            PartsInFlight = r.GetValue(PartsInFlight),
            Retries = storage.MaxRetries,
        };
        var options = new BackupOptions
        {
            Source = ConnectionOptions.Read(r.GetValue(Source), "SRC_", Source),
            Destination = r.GetValue(To)!,
            BackupName = r.GetValue(Name) ?? Env("BACKUP_NAME"),
            Format = r.GetValue(Format),
            Jobs = r.GetValue(Jobs),
            Compression = r.GetValue(Compress) ?? Env("DUMP_COMPRESS"),
            Schemas = Selection(r, Schemas),
            ExcludeSchemas = Selection(r, ExcludeSchemas),
            Tables = Selection(r, Tables),
            ExcludeTables = Selection(r, ExcludeTables),
            ExcludeTableData = r.GetValue(ExcludeTableData) ?? [],
            LockWaitTimeout = r.GetValue(LockWait) is { } s ? TimeSpan.FromSeconds(s) : null,
            Force = r.GetValue(Force),
            SkipChecks = r.GetValue(SkipChecks),
            PgDumpPath = r.GetValue(PgDump),
            Storage = storage,
            Multipart = multipart,
        };
        options.Validate();
        return options;
    }
}
