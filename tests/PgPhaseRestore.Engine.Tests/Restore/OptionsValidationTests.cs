using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Tests.Rigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>The checks every host runs before a restore or backup starts: options that could only fail later.</summary>
public sealed class OptionsValidationTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly PgConnectionInfo Db = PgConnectionInfo.Parse("host=db dbname=app", _ => null);

    private static string Refused(Action validate) => Assert.Throws<PgPhaseException>(validate).Message;

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Restore_jobs_below_one(int jobs)
    {
        Assert.Equal($"jobs must be 1 or more, not {jobs}", Refused(new RestoreOptions { Target = Db, Jobs = jobs }.Validate));
    }

    [Fact]
    public void Restore_phase_that_does_not_exist()
    {
        Assert.Equal("phase 0, 7 does not exist; the phases are 1 schema, 2 indexes, 3 data, 4 post-data",
            Refused(new RestoreOptions { Target = Db, Phases = [0, 2, 7] }.Validate));
    }

    [Theory]
    [InlineData("no such; drop")]
    [InlineData("work_mem -c statement_timeout")]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("a.b.c")]
    public void Restore_session_setting_whose_name_is_not_a_name(string name)
    {
        Assert.Equal($"session setting \"{name}\" is not a setting's name (letters, digits and _, with one . for an extension's own setting)",
            Refused(new RestoreOptions { Target = Db, SessionSettings = new Dictionary<string, string> { [name] = "1" } }.Validate));
    }

    [Fact]
    public void Restore_session_settings_with_names_and_any_printable_value_pass()
    {
        new RestoreOptions { Target = Db, SessionSettings = new Dictionary<string, string> { ["work_mem"] = "64MB", ["pg_trgm.similarity_threshold"] = "0.3", ["application_name"] = "nächtlich 1" } }.Validate();
    }

    [Fact]
    public void Restore_list_folder_that_does_not_exist()
    {
        var missing = _dir.File("no/such/folder");
        Assert.Equal($"list folder {missing} does not exist", Refused(new RestoreOptions { Target = Db, ListDirectory = missing }.Validate));
    }

    [Fact]
    public void Restore_list_folder_that_is_a_file()
    {
        var file = _dir.File("lists.txt");
        File.WriteAllText(file, "");
        Assert.Equal($"list folder {file} is a file, not a folder", Refused(new RestoreOptions { Target = Db, ListDirectory = file }.Validate));
    }

    [Fact]
    public void Restore_journal_that_is_a_folder()
    {
        Assert.Equal($"journal {_dir.Path} is a folder: give the journal file's own path (one file per target database), or leave it out for the default folder",
            Refused(new RestoreOptions { Target = Db, JournalPath = _dir.Path }.Validate));
    }

    [Fact]
    public void Restore_list_file_that_is_a_folder()
    {
        var ex = Assert.Throws<PgPhaseException>(() => PgPhaseRestore.Engine.Planning.ListedEntries.Read([_dir.Path]));
        Assert.Equal(PgPhaseErrorCode.InvalidInput, ex.Code);
        Assert.Equal($"list file {_dir.Path} is a folder: give the list file itself (as a plan or a TOC listing wrote it)", ex.Message);
    }

    [Fact]
    public void Restore_options_that_can_work_pass()
    {
        new RestoreOptions { Target = Db, Jobs = 4, Phases = [1, 4], ListDirectory = _dir.Path }.Validate();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Dump_jobs_below_one(int jobs)
    {
        Assert.Equal($"dump jobs must be 1 or more, not {jobs}", Refused(new BackupOptions { Source = Db, Destination = _dir.Path + "/", Jobs = jobs }.Validate));
    }

    [Theory]
    [InlineData("s3://", "s3://: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump")]
    [InlineData("s3:///nightly/app.dump", "s3:///nightly/app.dump: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump")]
    [InlineData("s3://backups", "s3://backups: names a bucket but no key; give s3://backups/name.dump, or s3://backups/ for one key per database")]
    [InlineData("s3://bad_bucket!/x.dump", "s3://bad_bucket!/x.dump: bucket name \"bad_bucket!\" cannot contain \"!\"")]
    public void Backup_destination_without_a_bucket(string destination, string message)
    {
        Assert.Equal(message, Refused(new BackupOptions { Source = Db, Destination = destination }.Validate));
    }

    [Theory]
    [InlineData("s3://backups/")]
    [InlineData("s3://backups/nightly/app.dump")]
    [InlineData("/var/backups/app.dump")]
    public void Backup_destinations_that_can_work_pass(string destination)
    {
        new BackupOptions { Source = Db, Destination = destination, Jobs = 2 }.Validate();
    }

    public void Dispose() => _dir.Dispose();
}
