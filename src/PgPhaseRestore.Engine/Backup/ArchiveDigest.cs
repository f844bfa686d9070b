using System.Security.Cryptography;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>The size and SHA-256 a manifest records for a stored archive.</summary>
internal static class ArchiveDigest
{
    /// <summary>Size and SHA-256 of a file, or of a folder's files (the folder's digest covers each file's name and digest).</summary>
    public static async Task<(long Size, string Sha256, IReadOnlyList<ArchiveFile> Files)> HashAsync(string path, CancellationToken ct)
    {
        if (File.Exists(path))
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
            var digest = await SHA256.HashDataAsync(file, ct).ConfigureAwait(false);
            return (file.Length, Hex(digest), []);
        }
        var files = new List<ArchiveFile>();
        foreach (var f in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
        {
            await using var file = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
            files.Add(new ArchiveFile(Path.GetFileName(f), file.Length, Hex(await SHA256.HashDataAsync(file, ct).ConfigureAwait(false))));
        }
        var listing = string.Join("\n", files.Select(f => $"{f.Sha256}  {f.Name}"));
        return (files.Sum(f => f.Size), Hex(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(listing))), files);
    }

    private static string Hex(byte[] digest) => Convert.ToHexString(digest).ToLowerInvariant();
}
