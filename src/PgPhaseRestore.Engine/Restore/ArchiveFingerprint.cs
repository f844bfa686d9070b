using System.Security.Cryptography;
using System.Text;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// An archive's identity by content: a SHA-256 over its header and every TOC entry. The same archive reached by
/// another path, copied, or read from a bucket has the same fingerprint; another dump (even of the same database
/// a second later) has another, through its creation time and definitions.
/// </summary>
internal static class ArchiveFingerprint
{
    public static string Compute(DumpArchive archive)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? value)
        {
            var bytes = Encoding.UTF8.GetBytes(value ?? "\0null");
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        var h = archive.Header;
        Add(h.Version.ToString());
        Add(h.Format.ToString());
        Add(h.CreatedAt.ToString("O"));
        Add(h.DatabaseName);
        foreach (var e in archive.Entries)
        {
            Add(e.DumpId.ToString());
            Add(e.Type);
            Add(e.Schema);
            Add(e.Name);
            Add(e.Owner);
            Add(e.Definition);
            Add(e.CopyStatement);
            Add(string.Join(',', e.Dependencies));
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
