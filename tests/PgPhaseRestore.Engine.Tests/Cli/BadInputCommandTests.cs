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

    // ---- connection strings ----

    /// <summary>A copy takes two connection strings: the one that cannot be read is named, and nothing is written.</summary>
    [Theory]
    [InlineData("--source")]
    [InlineData("--target")]
    public void A_copy_s_unreadable_connection_string_is_named_by_its_option(string option)
    {
        var target = NewName("conn");
        var to = _dir.File($"copy-{option.TrimStart('-')}.dump");
        string Given(string which) => which == option ? "dbname=x colour=blue" : $"dbname={(which == "--source" ? _f.Source : target)}";
        Refused(Environment(target), $"pgphase: {option}: unknown keyword \"colour\"",
            "copy", "--source", Given("--source"), "--target", Given("--target"), "--to", to);
        Assert.False(File.Exists(to));
        Assert.False(DatabaseExists(target));
    }

    // ---- phases ----

    /// <summary>
    /// The data phase alone works on the tables phase 1 creates: into a database it would create, it is refused
    /// before creating it; into one without the tables, refused naming them, before a row is loaded.
    /// </summary>
    [Fact]
    public void The_data_phase_without_its_tables_is_refused_before_anything_is_created_or_loaded()
    {
        var target = NewName("phase3");
        Refused(Environment(target), $"pgphase: target database \"{target}\" does not exist, and phase 3 works on the tables phase 1 creates: run phase 1 first (or every phase); nothing was created",
            "restore", _f.DumpPath, "--create", "--no-owner", "--phase", "3", "--quiet", "--journal", _dir.File("p3.json"));
        Assert.False(DatabaseExists(target));

        Cluster.Execute("postgres", $"CREATE DATABASE {target}");
        Refused(Environment(target), $"pgphase: phase 3 Data loads rows into tables that phase 1 creates, and 2 of them are not in \"{target}\" (\"public\".\"items\", \"public\".\"notes\"): run phase 1 first (or every phase)",
            "restore", _f.DumpPath, "--no-owner", "--phase", "3", "--quiet", "--journal", _dir.File("p3b.json"));

        var first = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--phase", "1", "--journal", _dir.File("p3c.json"));
        Assert.True(first.ExitCode == 0, first.StdErr + first.StdOut);
        var data = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--phase", "3", "--journal", _dir.File("p3c.json"), "--resume");
        Assert.True(data.ExitCode == 0, data.StdErr + data.StdOut);
        Assert.Equal(500L, Cluster.Scalar<long>(target, "SELECT count(*) FROM items"));
        Cluster.DropDatabase(target);
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
        // pg_restore is found for the archive's version, so after the plan (whose scan says what it read).
        var line = Lines(RefusedWithAnyLine(Environment(target), "restore", _f.DumpPath, "--create", "--pg-restore", "/bin/false").StdErr).Single(l => l.StartsWith("pgphase: ", StringComparison.Ordinal));
        Assert.StartsWith("pgphase: /bin/false is not pg_restore: `/bin/false --version` printed ", line);
        Assert.EndsWith(" and exited with code 1, not \"pg_restore (PostgreSQL) N\" (--pg-restore)", line);
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
        Assert.EndsWith(" and exited with code 1, not \"pg_dump (PostgreSQL) N\" (--pg-dump)", line);
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "tool.dump*"));
    }

    // ---- connections ----

    [Fact]
    public void A_port_that_is_not_a_number_is_refused_and_nothing_is_created()
    {
        var target = NewName("port");
        // The variables name a reachable server: the bad port must not quietly become 5432 or that port.
        Refused(Environment(target), "pgphase: --target: port \"abc\" is not a port number from 1 to 65535",
            "restore", _f.DumpPath, "--create", "--target", $"dbname={target} port=abc");
        Assert.False(DatabaseExists(target));
        Refused(Environment(), "pgphase: --server: port \"70000\" is not a port number from 1 to 65535",
            "databases", "--server", $"host={Cluster.Host} port=70000");
        Refused(Environment(), "pgphase: --server: postgres://host:port/: port \"port\" is not a port number from 1 to 65535",
            "databases", "--server", "postgres://host:port/");
        Refused(Environment(), "pgphase: --target: postgresql://[bad: the host's \"[\" has no closing \"]\" (an IPv6 address is written [::1] or [::1]:5432)",
            "verify", _f.DumpPath, "--target", "postgresql://[bad");
        var env = Environment();
        env["SRC_PGPORT"] = "54x";
        Refused(env, "pgphase: the PGPORT variable: port \"54x\" is not a port number from 1 to 65535", "databases");
    }

    // ---- failures an option answers ----

    [Fact]
    public void A_target_that_does_not_exist_is_answered_with_the_option_that_creates_it()
    {
        var target = NewName("nocreate");
        var r = RefusedWithAnyLine(Environment(target), "restore", _f.DumpPath, "--no-owner");
        Assert.Equal($"pgphase: target database \"{target}\" does not exist on {Cluster.Host}:{Cluster.Port}; create it, or ask for it to be created (--create)",
            Lines(r.StdErr).Single(l => l.StartsWith("pgphase: ", StringComparison.Ordinal)));
        Assert.False(DatabaseExists(target));
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

    /// <summary>
    /// What a command needs to get past parsing, and the inputs only it can be given wrong: files (or folders) that do
    /// not exist, and a server that does not answer (a PostgreSQL port or an S3 endpoint nothing listens on). Every
    /// command of the tree must have an entry, so a new command gets its bad-input cases or fails this test.
    /// </summary>
    private sealed record CommandInputs(string[] Valid, string[][] MissingFile, string[][] Unreachable);

    private Dictionary<string, CommandInputs> Inputs(string dump, string missing, string missingDir, string to, int port)
    {
        var server = $"host=127.0.0.1 port={port} dbname=x connect_timeout=5";
        string[] s3 = ["--s3-endpoint", $"http://127.0.0.1:{port}", "--s3-path-style", "--s3-max-retries", "0"];
        return new()
        {
            ["toc"] = new([dump], [[missing]], [["s3://bucket/x.dump", .. s3]]),
            ["plan"] = new([dump], [[missing], [dump, "--strategy", "Auto", "--sizes-from", $"host={missingDir}"]], [["s3://bucket/x.dump", .. s3]]),
            ["restore"] = new([dump], [[missing], [dump, "--pg-restore", missing], [dump, "--keep-lists", missingDir]], [[dump, "--target", server], ["s3://bucket/x.dump", .. s3]]),
            ["verify"] = new([dump], [[missing]], [[dump, "--target", server]]),
            ["backup"] = new(["--to", to], [["--to", to, "--pg-dump", missing]], [["--to", to, "--source", server], ["--to", "s3://bucket/x.dump", .. s3]]),
            ["backups"] = new([_dir.Path], [[missingDir]], [["s3://bucket/", .. s3]]),
            ["databases"] = new([], [["--server", $"host={missingDir}"]], [["--server", server]]),
            ["copy"] = new(["--to", to, "--create"], [["--to", to, "--create", "--pg-dump", missing]], [["--to", to, "--create", "--source", server], ["--to", to, "--create", "--target", server]]),
            ["swap"] = new(["live", "replacement"], [["live", "replacement", "--server", $"host={missingDir}"]], [["live", "replacement", "--server", server]]),
            // The demo reads no file and reaches no server of the user's: it starts its own.
            ["demo"] = new([], [], []),
        };
    }

    /// <summary>The kinds of bad input every command of the tree is given, from its options and arguments.</summary>
    private List<(string[] Args, string Kind)> TreeCases(string dump, string missing, string missingDir, string to, int port)
    {
        var root = PgPhaseRestore.Cli.Program.BuildRoot();
        var inputs = Inputs(dump, missing, missingDir, to, port);
        var cases = new List<(string[] Args, string Kind)>();
        foreach (var command in Commands(root).Where(c => c != root))
        {
            var path = Path(command);
            Assert.True(inputs.TryGetValue(string.Join(' ', path), out var given), $"pgphase {string.Join(' ', path)} has no bad-input cases: add them to Inputs");
            cases.Add(([.. path, .. given!.Valid, "--bogus"], "unknown"));
            foreach (var option in command.Options.Where(o => Nullable.GetUnderlyingType(o.ValueType) is { IsEnum: true } || o.ValueType.IsEnum))
                cases.Add(([.. path, .. given.Valid, option.Name, "fast"], "enum"));
            if (command.Arguments.Any(a => a.Arity.MinimumNumberOfValues > 0) || command.Options.Any(o => o.Required))
                cases.Add((path, "required"));
            cases.AddRange(given.MissingFile.Select(args => ((string[])[.. path, .. args], "missing file")));
            cases.AddRange(given.Unreachable.Select(args => ((string[])[.. path, .. args], "unreachable")));
        }
        return cases;

        static IEnumerable<System.CommandLine.Command> Commands(System.CommandLine.Command c) => c.Subcommands.SelectMany(Commands).Prepend(c);

        string[] Path(System.CommandLine.Command c)
        {
            var names = new List<string>();
            for (var x = c; x is not null && x != root; x = x.Parents.OfType<System.CommandLine.Command>().FirstOrDefault())
                names.Insert(0, x.Name);
            return [.. names];
        }
    }

    [Fact]
    public void Every_command_answers_bad_input_in_words_without_dotnet_types_or_stack_traces()
    {
        var missing = _dir.File("missing.dump");
        var missingDir = _dir.File("missing-folder");
        var plain = _dir.File("plain.sql");
        File.WriteAllText(plain, "SELECT 1;\n");
        var dump = _f.DumpPath;
        var to = _dir.File("out") + "/";
        int port = FreePort.Next();
        var cases = TreeCases(dump, missing, missingDir, to, port);
        // Values only some commands take.
        cases.AddRange(new List<(string[] Args, string Kind)>
        {
            (["toc", plain], "file"),
            (["restore", dump, "--target", "dbname=x port=abc"], "conninfo"), (["restore", dump, "--target", "dbname=x colour=blue"], "conninfo"),
            (["restore", dump, "--phase", "9"], "value"), (["restore", dump, "-j", "many"], "value"),
            (["verify", dump, "--target", "postgresql://[bad"], "conninfo"),
            (["backup", "--to", to, "--source", "port=abc"], "conninfo"), (["backup", "--to", to, "--lock-wait-timeout", "soon"], "value"),
            (["databases", "--server", "colour=blue"], "conninfo"), (["databases", "--server", "postgres://host:port/"], "conninfo"),
            (["copy", "--to", to, "--target", "port=abc"], "conninfo"),
            // Values libpq's grammar lets through and Npgsql refuses when the engine opens its own connection.
            (["databases", "--server", $"host=127.0.0.1 port={port} dbname=x channel_binding=requir"], "setting channel_binding"),
            (["databases", "--server", $"host=127.0.0.1 port={port} dbname=x gssencmode=sometimes"], "setting gssencmode"),
            (["verify", dump, "--target", $"host=127.0.0.1 port={port} dbname=x keepalives_idle=-1"], "setting keepalives_idle"),
            (["demo", "--rows", "0"], "value"),
            (["restor", dump], "command"),
        });
        foreach (var kind in new[] { "unknown", "enum", "required", "missing file", "unreachable" })
            Assert.Contains(cases, c => c.Kind == kind);
        var env = Environment("never_created");
        // S3 keys of no consequence: the endpoints of these cases do not answer.
        env["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE";
        env["AWS_SECRET_ACCESS_KEY"] = "example";
        env["AWS_REGION"] = "us-east-1";

        var failures = new List<string>();
        var sync = new object();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            var (args, kind) = c;
            var r = PgPhaseCli.Run(env, args);
            var lines = Lines(r.StdErr).Concat(Lines(r.StdOut)).ToList();
            var shown = $"pgphase {string.Join(' ', args)} ({kind}) -> exit {r.ExitCode}:\n  " + string.Join("\n  ", lines);
            var problems = new List<string>();
            if (r.ExitCode != 1)
                problems.Add("exit code is not 1");
            // Progress may come first ("using pg_restore ..."); the failure is the one line pgphase: prefixes.
            var line = lines.FirstOrDefault(l => l.StartsWith("pgphase: ", StringComparison.Ordinal));
            if (line is null)
                problems.Add("no pgphase: message");
            problems.AddRange(lines.Where(l => DotNetLeak.IsMatch(l)).Select(l => "leaks: " + l));
            var command = args[0];
            switch (kind)
            {
                case "enum":
                    var option = args[^2];
                    var o = PgPhaseRestore.Cli.Program.BuildRoot().Subcommands.Single(x => x.Name == command).Options.Single(x => x.Name == option);
                    var names = Enum.GetNames(Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType);
                    if (lines.Count == 0 || lines[0] != $"pgphase: {option} fast: expected one of {string.Join(", ", names)}")
                        problems.Add($"the enum error does not list {string.Join(", ", names)}");
                    break;
                case "unknown" or "required" or "command":
                    var help = kind == "command" ? "pgphase" : $"pgphase {command}";
                    if (lines.Count != 2 || lines[1] != $"Run '{help} --help' for its arguments and options.")
                        problems.Add("not one line and one pointing to --help");
                    if (kind == "unknown" && lines.FirstOrDefault() != "pgphase: Unrecognized command or argument '--bogus'.")
                        problems.Add("does not name the unknown option");
                    if (kind == "required" && !(lines.Count > 0 && (lines[0].Contains("Required argument missing", StringComparison.Ordinal) || lines[0].Contains("is required", StringComparison.Ordinal))))
                        problems.Add("does not say what is missing");
                    if (kind == "command" && lines.FirstOrDefault() != $"pgphase: 'restor' is not a command; the commands are {string.Join(", ", PgPhaseRestore.Cli.Program.BuildRoot().Subcommands.Select(x => x.Name))}")
                        problems.Add("does not name the command and list the commands");
                    break;
                case "missing file":
                    var named = args.Contains(missing) ? missing : missingDir;
                    if (line is null || !line.Contains(named, StringComparison.Ordinal))
                        problems.Add($"does not name {named}");
                    break;
                case var setting when setting.StartsWith("setting ", StringComparison.Ordinal):
                    var keyword = setting["setting ".Length..];
                    if (line is null || !line.Contains($"{keyword} \"", StringComparison.Ordinal) || !line.Contains("is not accepted", StringComparison.Ordinal))
                        problems.Add($"does not name {keyword} and its value");
                    break;
                case "unreachable":
                    if (line is null || !line.Contains($"127.0.0.1:{port}", StringComparison.Ordinal))
                        problems.Add($"does not name 127.0.0.1:{port}");
                    break;
            }
            lock (sync)
            {
                _output.WriteLine(shown);
                if (problems.Count > 0)
                    failures.Add(shown + "\n  => " + string.Join("; ", problems));
            }
        });
        Assert.False(DatabaseExists("never_created"));
        Assert.False(Directory.Exists(to), "a refused command wrote its destination");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    public void Dispose() => _dir.Dispose();
}
