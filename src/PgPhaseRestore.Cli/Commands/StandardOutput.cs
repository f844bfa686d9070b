using System.Text;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>Large results written to stdout at once.</summary>
internal static class StandardOutput
{
    /// <summary>
    /// Writes the text as UTF-8 in one call. Console.Out writes 256 characters per system call: a TOC listing of
    /// thousands of lines would cost a loop over many archives hundreds of writes each.
    /// </summary>
    public static async Task WriteAsync(string text, CancellationToken ct)
    {
        await Console.Out.FlushAsync(ct).ConfigureAwait(false);
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
    }
}
