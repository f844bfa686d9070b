using PgPhaseRestore.Engine.Backup;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>What a failed backup says of pg_dump's stderr: its error, never the -v chatter that precedes and follows it.</summary>
public sealed class PgDumpTailTests
{
    [Fact]
    public void An_error_is_said_with_its_detail_and_query_and_without_the_verbose_lines_around_it()
    {
        string[] lines =
        [
            "pg_dump: last built-in OID is 16383", "pg_dump: reading extensions", "pg_dump: identifying extension members",
            "pg_dump: reading schemas", "pg_dump: dumping contents of table \"public.a\"",
            "pg_dump: error: query failed: ERROR:  permission denied for table secret",
            "pg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE",
            "pg_dump: saving encoding = UTF8",
        ];
        Assert.Equal("pg_dump: error: query failed: ERROR:  permission denied for table secret | pg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE",
            BackupDump.Tail(lines));
    }

    [Fact]
    public void Without_an_error_line_the_last_lines_are_said_without_progress()
    {
        string[] lines = ["pg_dump: reading schemas", "could not connect", "pg_dump: dumping contents of table \"public.a\"", "server closed the connection"];
        Assert.Equal("could not connect | server closed the connection", BackupDump.Tail(lines));
    }
}
