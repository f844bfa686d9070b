using System.CommandLine;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase toc SOURCE [--list | --json]`: the archive's header and table of contents.</summary>
internal static class TocCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("source") { Description = "Archive: a custom or tar file, a directory-format folder, or s3://bucket/key" };
        var list = new Option<bool>("--list", "-l") { Description = "Print the same lines as `pg_restore -l`, in the same order" };
        var json = new Option<bool>("--json") { Description = "Print header and entries, every field, as JSON" };
        var s3 = new S3Options();
        var command = new Command("toc", "Read an archive's table of contents (no pg_restore needed; only the TOC is read)");
        command.Arguments.Add(source);
        command.Options.Add(list);
        command.Options.Add(json);
        s3.AddTo(command);

        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var archive = await ArchiveReader.ReadAsync(s3.Location(result, result.GetValue(source)!), ct);
            var text = result.GetValue(list) ? RestoreList.Format(archive)
                : result.GetValue(json) ? archive.ToJson() + Environment.NewLine
                : Summary(archive);
            await StandardOutput.WriteAsync(text, ct);
            return 0;
        }));
        return command;
    }

    private static string Summary(DumpArchive archive)
    {
        var h = archive.Header;
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"Source:       {archive.Source}");
        sb.AppendLine($"Database:     {h.DatabaseName}");
        sb.AppendLine($"Format:       {h.Format} (archive {h.Version}), compression {h.Compression}");
        sb.AppendLine($"Created:      {h.CreatedAt:yyyy-MM-dd HH:mm:ss}");
        sb.AppendLine($"Server:       {h.ServerVersion}    pg_dump: {h.PgDumpVersion}");
        sb.AppendLine($"Entries:      {archive.Entries.Count}");
        sb.AppendLine();
        sb.AppendLine($"{"DumpId",7}  {"Section",-9} {"Type",-24} {"Schema",-16} {"Name",-40} Data");
        foreach (var e in archive.Entries)
        {
            var data = e.DataState switch
            {
                DataState.Offset => $"@{e.DataOffset}",
                DataState.OffsetNotSet => "offset not set",
                DataState.File => e.DataFile,
                _ => "",
            };
            sb.AppendLine($"{e.DumpId,7}  {e.Section,-9} {e.Type,-24} {e.Schema ?? "-",-16} {e.Name?.Replace('\n', ' '),-40} {data}");
        }
        return sb.ToString();
    }
}
