using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>One pg_restore over some entries of a data phase: from standard input when <c>input</c> is given, else from the archive file.</summary>
internal sealed class DataItemPgRestore(RestorePhase phase, RestoreOptions options, PgTool pgRestore, string workDir, Action<string>? log, Action<string>? debug)
{
    /// <summary>Runs it; the failure (pg_restore's errors, or the feed's), or null when it exited 0.</summary>
    public async Task<PgPhaseException?> RunAsync(IReadOnlyList<TocEntry> entries, Func<Stream, CancellationToken, Task>? input, string? inputDescription, CancellationToken ct)
    {
        var listFile = Path.Combine(workDir, $"data-{entries[0].DumpId}.list");
        await File.WriteAllTextAsync(listFile, RestoreList.Format(phase.Archive, entries), ct).ConfigureAwait(false);
        var args = PgRestoreArguments.Build(phase, options, listFile, jobs: 1, streamed: input is not null);
        var env = PgRestoreArguments.Environment(options, phase.Number);
        var output = new PgRestoreOutput();
        debug?.Invoke(ToolProcess.Display("pg_restore", args) + (inputDescription is null ? "" : " < " + inputDescription));
        try
        {
            var run = await ToolProcess.RunAsync(pgRestore, args, options.Target, line => OnLine(output, line), ct, env, input).ConfigureAwait(false);
            if (run.ExitCode == 0)
                return null;
            var said = output.Errors.Count > 0 ? string.Join(" | ", output.Errors.Select(e => e.Message)) : string.Join(" | ", run.ErrorLines.TakeLast(5));
            return new PgPhaseException($"pg_restore exited with code {run.ExitCode}: {said}", PgRestoreOutput.CodeOf(output.Errors.Select(e => e.Message)));
        }
        catch (PgPhaseException ex) when (PgPhaseErrors.IsRestore(ex.Code) || PgPhaseErrors.IsStorage(ex.Code))
        {
            return ex;
        }
    }

    private void OnLine(PgRestoreOutput output, string line)
    {
        debug?.Invoke(line);
        if (output.Parse(line).Kind == PgRestoreOutput.Kind.Error)
            log?.Invoke(line);
    }
}
