using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;
using Xunit.Abstractions;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// Bad input to `pgphase` is refused with one line that names the option, value, file or offset, before a
/// database is created, a file written or an object uploaded; never with a .NET type name or a stack trace.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed partial class BadInputCommandTests : IClassFixture<BadInputCommandTests.Fixture>, IDisposable
{
    /// <summary>A small source database and its custom and tar dumps.</summary>
    public sealed class Fixture : IDisposable
    {
        private readonly TempDir _dir = new("pgphase-badinput-");

        public Fixture(Services services)
        {
            Services = services;
            Cluster = services.Postgres;
            Source = Cluster.CreateDatabase("badin");
            // Something for each of the four phases: a table, its indexes, its rows, a foreign key.
            Cluster.Execute(Source, "CREATE TABLE items (id int PRIMARY KEY, label text UNIQUE); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g; " +
                                    "CREATE TABLE notes (id int PRIMARY KEY, item int REFERENCES items); INSERT INTO notes VALUES (1, 1);");
            DumpPath = _dir.File("source.dump");
            PgDump.Dump(Cluster, Source, DumpPath, "-Fc");
            TarPath = _dir.File("source.tar");
            PgDump.Dump(Cluster, Source, TarPath, "-Ft");
        }

        public Services Services { get; }
        public PostgresCluster Cluster { get; }
        public string Source { get; }
        public string DumpPath { get; }
        public string TarPath { get; }

        public void Dispose() => _dir.Dispose();
    }

    private readonly Fixture _f;
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new();

    public BadInputCommandTests(Fixture fixture, ITestOutputHelper output)
    {
        _f = fixture;
        _output = output;
    }

    private PostgresCluster Cluster => _f.Cluster;

    private Dictionary<string, string?> Environment(string? target = null, string? sourceDb = null) => new()
    {
        ["SRC_PGHOST"] = Cluster.Host, ["SRC_PGPORT"] = Cluster.Port.ToString(), ["SRC_PGUSER"] = Cluster.User,
        ["SRC_PGPASSWORD"] = Cluster.Password, ["SRC_DBNAME"] = sourceDb ?? _f.Source,
        ["DST_PGHOST"] = Cluster.Host, ["DST_PGPORT"] = Cluster.Port.ToString(), ["DST_PGUSER"] = Cluster.User,
        ["DST_PGPASSWORD"] = Cluster.Password, ["DST_DBNAME"] = target,
        ["PGHOST"] = null, ["PGPORT"] = null, ["PGUSER"] = null, ["PGPASSWORD"] = null, ["PGDATABASE"] = null,
        ["RESTORE_JOBS"] = null, ["PGPHASE_DEBUG"] = null,
    };

    private bool DatabaseExists(string name) =>
        Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{name}'") > 0;

    private static string NewName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Refused: exit code 1, nothing on stdout, and the first line on stderr is the expected one.</summary>
    private ChildProcess.Result Refused(Dictionary<string, string?> env, string firstLine, params string[] args)
    {
        var r = RefusedWithAnyLine(env, args);
        Assert.Equal(firstLine, Lines(r.StdErr)[0]);
        return r;
    }

    private ChildProcess.Result RefusedWithAnyLine(Dictionary<string, string?> env, params string[] args)
    {
        var r = PgPhaseCli.Run(env, args);
        _output.WriteLine($"pgphase {string.Join(' ', args)} -> {r.ExitCode}\n{r.StdErr}{r.StdOut}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.StdOut);
        Assert.NotEmpty(Lines(r.StdErr));
        return r;
    }

    // ---- --keep-lists ----

    [Fact]
    public void Keep_lists_to_a_missing_folder_fails_before_the_target_database_is_created()
    {
        var target = NewName("lists");
        var missing = _dir.File("not/there");
        Refused(Environment(target), $"pgphase: --keep-lists {missing}: no such folder (create it first)",
            "restore", _f.DumpPath, "--create", "--no-owner", "--journal", _dir.File("j.json"), "--keep-lists", missing);
        Assert.False(DatabaseExists(target), $"database {target} was created although the restore was refused");
        Assert.False(Directory.Exists(missing));

        // The same command with a folder that exists creates the database and keeps the four lists there.
        var lists = Directory.CreateDirectory(_dir.File("lists")).FullName;
        var ok = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--create", "--no-owner", "--journal", _dir.File("j.json"), "--keep-lists", lists);
        Assert.True(ok.ExitCode == 0, ok.StdErr + ok.StdOut);
        Assert.True(DatabaseExists(target));
        Assert.Equal(4, Directory.GetFiles(lists, "phase-*.list").Length);
        Assert.Equal(500L, Cluster.Scalar<long>(target, "SELECT count(*) FROM items"));
    }

    [Fact]
    public void Keep_lists_naming_a_file_is_refused()
    {
        var target = NewName("listf");
        var file = _dir.File("lists.txt");
        File.WriteAllText(file, "");
        Refused(Environment(target), $"pgphase: --keep-lists {file}: is a file, not a folder",
            "restore", _f.DumpPath, "--create", "--keep-lists", file);
        Assert.False(DatabaseExists(target));
    }

    // ---- jobs ----

    [Theory]
    [InlineData("-j", "-3")]
    [InlineData("--jobs", "0")]
    [InlineData("--jobs", "-1")]
    [InlineData("-j", "four")]
    public void Restore_jobs_below_one_are_refused_naming_the_option(string option, string value)
    {
        var target = NewName("jobs");
        Refused(Environment(target), $"pgphase: --jobs {value}: expected a whole number of 1 or more",
            "restore", _f.DumpPath, "--create", "--no-owner", option, value);
        Assert.False(DatabaseExists(target));
    }

    [Fact]
    public void Restore_jobs_from_the_environment_are_checked_too()
    {
        var target = NewName("envjobs");
        var env = Environment(target);
        env["RESTORE_JOBS"] = "0";
        Refused(env, "pgphase: RESTORE_JOBS=0: expected a whole number of 1 or more (or pass --jobs)", "restore", _f.DumpPath, "--create");
        Assert.False(DatabaseExists(target));
    }

    [Fact]
    public void Backup_dump_jobs_below_one_are_refused_naming_the_option()
    {
        var to = _dir.File("jobs-backup");
        Refused(Environment(), "pgphase: --dump-jobs 0: expected a whole number of 1 or more", "backup", "--to", to, "--format", "directory", "--dump-jobs", "0");
        Assert.False(Directory.Exists(to));
        Refused(Environment(), "pgphase: --parts-in-flight -2: expected a whole number of 1 or more", "backup", "--to", to, "--parts-in-flight", "-2");
    }

    [Fact]
    public void Copy_jobs_below_one_are_refused_before_the_backup()
    {
        var target = NewName("copyjobs");
        var folder = Directory.CreateDirectory(_dir.File("copy")).FullName;
        Refused(Environment(target), "pgphase: --jobs 0: expected a whole number of 1 or more",
            "copy", "--to", folder + "/", "--target", $"dbname={target}", "--create", "-j", "0");
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        Assert.False(DatabaseExists(target));
    }

    // ---- tool paths ----

    [Fact]
    public void Pg_restore_that_is_not_pg_restore_is_explained_before_the_target_is_created()
    {
        var target = NewName("tool");
        var line = Lines(RefusedWithAnyLine(Environment(target), "restore", _f.DumpPath, "--create", "--pg-restore", "/bin/false").StdErr)[0];
        Assert.StartsWith("pgphase: /bin/false is not pg_restore: `/bin/false --version` printed ", line);
        Assert.EndsWith(" and exited with code 1, not \"pg_restore (PostgreSQL) N\"", line);
        Assert.False(DatabaseExists(target));
    }

    [Fact]
    public void Pg_dump_that_is_not_pg_dump_is_explained_and_nothing_is_written()
    {
        var to = _dir.File("tool.dump");
        var r = PgPhaseCli.Run(Environment(), "backup", "--to", to, "--pg-dump", "/bin/false");
        Assert.Equal(1, r.ExitCode);
        var line = Lines(r.StdErr).Single(l => l.StartsWith("pgphase: "));
        Assert.StartsWith("pgphase: /bin/false is not pg_dump: `/bin/false --version` printed ", line);
        Assert.EndsWith(" and exited with code 1, not \"pg_dump (PostgreSQL) N\"", line);
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "tool.dump*"));
    }

    // ---- connections ----

    [Fact]
    public void A_port_that_is_not_a_number_is_refused_and_nothing_is_created()
    {
        var target = NewName("port");
        // The variables name a reachable server: the bad port must not quietly become 5432 or that port.
        Refused(Environment(target), "pgphase: connection string: port \"abc\" is not a port number from 1 to 65535",
            "restore", _f.DumpPath, "--create", "--target", $"dbname={target} port=abc");
        Assert.False(DatabaseExists(target));
        Refused(Environment(), "pgphase: connection string: port \"70000\" is not a port number from 1 to 65535",
            "databases", "--server", $"host={Cluster.Host} port=70000");
        Refused(Environment(), "pgphase: postgres://host:port/: port \"port\" is not a port number from 1 to 65535",
            "databases", "--server", "postgres://host:port/");
        Refused(Environment(), "pgphase: postgresql://[bad: the host's \"[\" has no closing \"]\" (an IPv6 address is written [::1] or [::1]:5432)",
            "verify", _f.DumpPath, "--target", "postgresql://[bad");
        var env = Environment();
        env["SRC_PGPORT"] = "54x";
        Refused(env, "pgphase: the PGPORT variable: port \"54x\" is not a port number from 1 to 65535", "databases");
    }

    // ---- bucket locations ----

    [Fact]
    public async Task A_backup_to_a_bucket_less_s3_uri_is_refused_naming_the_option_and_nothing_is_uploaded()
    {
        var s3 = _f.Services.S3;
        // A bucket named like the database: "s3://" used to become s3://<database>/<time>.dump, a backup in it.
        var bucket = s3.CreateBucket("db");
        Cluster.Execute("postgres", $"CREATE DATABASE \"{bucket}\"");
        Cluster.Execute(bucket, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
        var env = Environment(sourceDb: bucket);
        foreach (var (k, v) in PgPhaseCli.S3Environment(s3))
            env[k] = v;

        Refused(env, "pgphase: --to s3://: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump", "backup", "--to", "s3://");
        Refused(env, "pgphase: --to s3:///nightly/app.dump: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump", "backup", "--to", "s3:///nightly/app.dump");
        Refused(env, "pgphase: --to s3:///: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump", "copy", "--to", "s3:///", "--target", "dbname=x");
        using (var client = s3.Client())
        {
            var listed = await client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket });
            Assert.Empty(listed.S3Objects ?? []);
        }

        Refused(env, "pgphase: s3://: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump", "toc", "s3://");
        Refused(env, "pgphase: s3:///nightly/: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump", "backups", "s3:///nightly/");
        Refused(env, "pgphase: s3://my bucket/x.dump: bucket name \"my bucket\" cannot contain \" \"", "plan", "s3://my bucket/x.dump");
        Refused(env, "pgphase: S3 endpoint \"http://\" is not a URL such as https://minio.example.com:9000", "toc", $"s3://{bucket}/x.dump", "--s3-endpoint", "http://");
    }

    // ---- damaged archives from the real pg_dump ----

    [Fact]
    public void A_damaged_tar_header_from_pg_dump_names_the_file_and_offset()
    {
        // Undamaged, pg_dump's own header passes the same checks.
        var intact = PgPhaseCli.Run("toc", _f.TarPath);
        Assert.True(intact.ExitCode == 0, intact.StdErr);
        Assert.Contains("Format:       Tar", intact.StdOut);

        var bytes = File.ReadAllBytes(_f.TarPath);
        bytes[124 + 9] ^= 0x01; // one bit of toc.dat's size field
        var path = _dir.File("damaged.tar");
        File.WriteAllBytes(path, bytes);
        var r = RefusedWithAnyLine(Environment(), "toc", path);
        Assert.Matches($@"^pgphase: {Regex.Escape(path)}: damaged tar header for ""toc\.dat"": checksum \d+ does not match the header's bytes \(\d+\) \(at byte offset 148\)$", Lines(r.StdErr)[0]);
        // pg_restore agrees that the header is corrupt.
        var pgRestore = ChildProcess.Run(Cluster.ClientTool("pg_restore"), ["-l", path], TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, pgRestore.ExitCode);
    }

    [Fact]
    public void A_flipped_version_byte_in_a_pg_dump_archive_is_damage_not_a_newer_archive()
    {
        var bytes = File.ReadAllBytes(_f.DumpPath);
        bytes[6] = 99;
        var path = _dir.File("flipped.dump");
        File.WriteAllBytes(path, bytes);
        Refused(Environment(), $"pgphase: {path}: damaged header: archive version 1.99-0 was never written by pg_dump and is not a plausible future one " +
                               "(its minor byte is 99; pg_dump writes 1.x-0 and adds one minor version per release at most) while reading header (at byte offset 6)",
            "plan", path);
    }

    // ---- every command, several kinds of bad input ----

    private static readonly Regex DotNetLeak = DotNetLeakPattern();

    [GeneratedRegex(@"System\.|PgPhaseRestore\.|Npgsql\.|Amazon\.|Exception|^\s+at |Usage:")]
    private static partial Regex DotNetLeakPattern();

    private static readonly Dictionary<string, string> Enums = new()
    {
        { "--strategy", "PreCreate, Standard, Auto" },
        { "--s3-compatibility", "Auto, Aws, Generic" },
        { "--format", "Custom, Directory" },
    };

    [Fact]
    public void Every_command_answers_bad_input_in_words_without_dotnet_types_or_stack_traces()
    {
        var missing = _dir.File("missing.dump");
        var missingDir = _dir.File("missing-folder");
        var plain = _dir.File("plain.sql");
        File.WriteAllText(plain, "SELECT 1;\n");
        var dump = _f.DumpPath;
        var to = _dir.File("out") + "/";
        var cases = new List<(string[] Args, string Kind)>
        {
            (["toc", missing], "file"), (["toc", plain], "file"), (["toc", dump, "--s3-compatibility", "fast"], "enum"), (["toc", dump, "--bogus"], "unknown"),
            (["plan", missing], "file"), (["plan", dump, "--strategy", "fast"], "enum"), (["plan", dump, "--bogus"], "unknown"),
            (["restore", missing, "--target", "dbname=x"], "file"), (["restore", dump, "--target", "dbname=x port=abc"], "conninfo"),
            (["restore", dump, "--target", "dbname=x colour=blue"], "conninfo"), (["restore", dump, "--strategy", "fast"], "enum"),
            (["restore", dump, "--bogus"], "unknown"), (["restore", dump, "--phase", "9"], "value"), (["restore", dump, "-j", "many"], "value"),
            (["verify", missing], "file"), (["verify", dump, "--target", "postgresql://[bad"], "conninfo"), (["verify", dump, "--s3-compatibility", "fast"], "enum"),
            (["verify", dump, "--bogus"], "unknown"),
            (["backup", "--to", to, "--pg-dump", missing], "file"), (["backup", "--to", to, "--source", "port=abc"], "conninfo"),
            (["backup", "--to", to, "--format", "tarball"], "enum"), (["backup", "--to", to, "--bogus"], "unknown"), (["backup", "--to", to, "--lock-wait-timeout", "soon"], "value"),
            (["backups", missingDir], "file"), (["backups", missingDir, "--s3-compatibility", "fast"], "enum"), (["backups", missingDir, "--bogus"], "unknown"),
            (["databases", "--server", $"host={missingDir}"], "file"), (["databases", "--server", "colour=blue"], "conninfo"),
            (["databases", "--server", "postgres://host:port/"], "conninfo"), (["databases", "--bogus"], "unknown"),
            (["copy", "--to", to, "--pg-dump", missing, "--target", "dbname=copy_x"], "file"), (["copy", "--to", to, "--target", "port=abc"], "conninfo"),
            (["copy", "--to", to, "--strategy", "fast"], "enum"), (["copy", "--to", to, "--bogus"], "unknown"),
            (["restor", dump], "command"),
        };
        var failures = new List<string>();
        foreach (var (args, kind) in cases)
        {
            var r = PgPhaseCli.Run(Environment("never_created"), args);
            var lines = Lines(r.StdErr).Concat(Lines(r.StdOut)).ToList();
            var shown = $"pgphase {string.Join(' ', args)} ({kind}) -> exit {r.ExitCode}:\n  " + string.Join("\n  ", lines);
            _output.WriteLine(shown);
            var problems = new List<string>();
            if (r.ExitCode != 1)
                problems.Add("exit code is not 1");
            if (lines.Count == 0 || !lines[0].StartsWith("pgphase: ", StringComparison.Ordinal))
                problems.Add("the first line is not a pgphase: message");
            problems.AddRange(lines.Where(l => DotNetLeak.IsMatch(l)).Select(l => "leaks: " + l));
            if (kind == "enum")
            {
                var option = args[^2];
                var names = Enums[option];
                if (lines.Count == 0 || lines[0] != $"pgphase: {option} fast: expected one of {names}" && lines[0] != $"pgphase: {option} tarball: expected one of {names}")
                    problems.Add($"the enum error does not list {names}");
            }
            if (kind == "unknown" && (lines.Count != 2 || lines[0] != $"pgphase: Unrecognized command or argument '{args[^1]}'." ||
                                      lines[1] != $"Run 'pgphase {args[0]} --help' for its arguments and options."))
                problems.Add("not one line naming the option and one pointing to --help");
            if (kind == "command" && (lines.Count != 2 || lines[0] != $"pgphase: 'restor' is not a command; the commands are {string.Join(", ", PgPhaseRestore.Cli.Program.BuildRoot().Subcommands.Select(c => c.Name))}" ||
                                      lines[1] != "Run 'pgphase --help' for its arguments and options."))
                problems.Add("not one line naming the command and one pointing to --help");
            if (problems.Count > 0)
                failures.Add(shown + "\n  => " + string.Join("; ", problems));
        }
        Assert.False(DatabaseExists("never_created"));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    public void Dispose() => _dir.Dispose();
}
