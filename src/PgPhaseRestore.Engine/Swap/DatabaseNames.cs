using System.Globalization;
using System.Text;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>The names a replace and a swap give databases: the live name, a marker, and the UTC time.</summary>
internal static class DatabaseNames
{
    /// <summary>PostgreSQL truncates names past NAMEDATALEN - 1 bytes; a truncated name would no longer say what it is.</summary>
    public const int MaxBytes = 63;

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    /// <summary>Where a replace restores before the swap: app__pgphase_20250101120000.</summary>
    public static string Side(string live, DateTimeOffset at) => Checked($"{live}__pgphase_{Stamp(at)}", "side database");

    /// <summary>Where a swap moves the live database: app__before_20250101120000.</summary>
    public static string Before(string live, DateTimeOffset at) => Checked($"{live}__before_{Stamp(at)}", "aside");

    /// <summary>Where an undo moves the live database when its former name is not known or taken.</summary>
    public static string Undone(string live, DateTimeOffset at) => Checked($"{live}__undone_{Stamp(at)}", "aside");

    /// <summary>The prefix of every name <see cref="Before"/> gives, for finding what an undo brings back.</summary>
    public static string BeforePrefix(string live) => live + "__before_";

    public static string Checked(string name, string what)
    {
        if (name.Length == 0)
            throw new PgPhaseException($"the {what} name is empty", PgPhaseErrorCode.InvalidInput);
        if (Encoding.UTF8.GetByteCount(name) > MaxBytes)
            throw new PgPhaseException($"the {what} name \"{name}\" is longer than PostgreSQL's {MaxBytes}-byte limit for names", $"; give the {what} a shorter name",
                                       PgPhaseErrorCode.NameTooLong);
        return name;
    }
}
