using System.Text;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// The lock as a file beside the local path. Creation links a complete temp file into place, which fails when
/// the name exists (an atomic create-if-absent); replacement renames over it.
/// </summary>
internal sealed class LocalLockStore(string path) : ILockStore
{
    public string Name => path;

    public async Task<LockRecord?> ReadAsync(CancellationToken ct)
    {
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(file, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            return new LockRecord(text, null, new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task<bool> CreateAsync(string text, CancellationToken ct)
    {
        var temp = await WriteTempAsync(text, ct).ConfigureAwait(false);
        try
        {
            // File.Move without overwrite links the new name on Unix, failing if it exists: no window where two runs both create.
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async Task<bool> ReplaceAsync(string text, string? etag, CancellationToken ct)
    {
        var temp = await WriteTempAsync(text, ct).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
        return true;
    }

    // Creation links the name atomically, failing where it exists: the race was decided there.
    public Task<bool> RefusesSecondCreateAsync(string text, CancellationToken ct) => Task.FromResult(true);

    public Task DeleteAsync(CancellationToken ct)
    {
        File.Delete(path);
        return Task.CompletedTask;
    }

    private async Task<string> WriteTempAsync(string text, CancellationToken ct)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllTextAsync(temp, text, new UTF8Encoding(false), ct).ConfigureAwait(false);
        return temp;
    }
}
