using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Swap;

namespace PgPhaseRestore.Engine.Serialization;

/// <summary>
/// The shapes of everything the engine writes as JSON (manifests, journals, locks, a TOC), generated when the
/// engine is built: nothing is discovered by reflection at run time, so a host compiled ahead of time (native
/// AOT) reads and writes the same files.
/// </summary>
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(BackupLockHolder))]
[JsonSerializable(typeof(RestoreJournal))]
[JsonSerializable(typeof(SwapJournal))]
[JsonSerializable(typeof(DumpArchive))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;

/// <summary>The serializer options of each file kind, all over <see cref="EngineJsonContext"/>.</summary>
internal static class EngineJson
{
    /// <summary>Backup manifests: camelCase names and enum values, readable non-ASCII.</summary>
    public static readonly JsonSerializerOptions Manifest = Options(JsonNamingPolicy.CamelCase, JsonNamingPolicy.CamelCase, relaxed: true);

    /// <summary>Backup locks: camelCase names, nulls left out.</summary>
    public static readonly JsonSerializerOptions Lock = new(Options(JsonNamingPolicy.CamelCase, null, relaxed: false))
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Restore journals: .NET names, as every journal written so far.</summary>
    public static readonly JsonSerializerOptions Journal = Options(null, null, relaxed: false);

    /// <summary>Swap journals and TOC listings: .NET names, enums by name, readable non-ASCII.</summary>
    public static readonly JsonSerializerOptions Named = Options(null, null, relaxed: true);

    public static string Serialize<T>(T value, JsonSerializerOptions options) => JsonSerializer.Serialize(value, Info<T>(options));

    public static void Serialize<T>(Stream stream, T value, JsonSerializerOptions options) => JsonSerializer.Serialize(stream, value, Info<T>(options));

    public static T? Deserialize<T>(string json, JsonSerializerOptions options) => JsonSerializer.Deserialize(json, Info<T>(options));

    // Through the generated metadata, never the reflection-based overloads.
    private static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    private static JsonSerializerOptions Options(JsonNamingPolicy? names, JsonNamingPolicy? enumValues, bool relaxed)
    {
        var options = new JsonSerializerOptions
        {
            TypeInfoResolver = EngineJsonContext.Default,
            PropertyNamingPolicy = names,
            WriteIndented = true,
        };
        if (relaxed)
            options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        // One generic converter per enum the files hold: the non-generic factory needs code made at run time.
        options.Converters.Add(new JsonStringEnumConverter<BackupFormat>(enumValues));
        options.Converters.Add(new JsonStringEnumConverter<SwapKind>(enumValues));
        options.Converters.Add(new JsonStringEnumConverter<SwapStep>(enumValues));
        options.Converters.Add(new JsonStringEnumConverter<ReplaceStage>(enumValues));
        options.Converters.Add(new JsonStringEnumConverter<ArchiveFormat>(enumValues));
        options.Converters.Add(new JsonStringEnumConverter<CompressionAlgorithm>(enumValues));
        options.Converters.Add(new JsonStringEnumConverter<TocSection>(enumValues));
        options.Converters.Add(new JsonStringEnumConverter<DataState>(enumValues));
        options.MakeReadOnly();
        return options;
    }
}
