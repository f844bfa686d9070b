using System.Reflection;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Engine.Replace;

/// <summary>The caller's restore options aimed at the side database.</summary>
internal static class RestoreOptionsCopy
{
    /// <summary>
    /// Copies every settable property, so that options added to <see cref="RestoreOptions"/> later reach the side
    /// restore too, then sets what a side restore needs.
    /// </summary>
    public static RestoreOptions For(RestoreOptions source, PgConnectionInfo side, bool resume)
    {
        var copy = new RestoreOptions { Target = side };
        foreach (var p in typeof(RestoreOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.SetMethod is not null && p.GetMethod is not null && p.Name != nameof(RestoreOptions.Target))
                p.SetValue(copy, p.GetValue(source));
        }
        Set(copy, nameof(RestoreOptions.CreateDatabase), true);
        Set(copy, nameof(RestoreOptions.Resume), resume || source.Resume);
        return copy;
    }

    private static void Set(RestoreOptions options, string name, object value) =>
        typeof(RestoreOptions).GetProperty(name)!.SetValue(options, value);
}
