using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>Reads and writes manifests beside their archives, in a bucket or on disk; local writes are atomic.</summary>
public static class ManifestStore
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize(BackupManifest manifest) => JsonSerializer.Serialize(manifest, Json);

    /// <summary>Parses a manifest; <paramref name="origin"/> names it in errors.</summary>
    public static BackupManifest Parse(string json, string origin)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<BackupManifest>(json, Json) ?? throw new JsonException("empty document");
            if (manifest.ManifestVersion > BackupManifest.CurrentVersion)
                throw new BackupException($"{origin}: manifest version {manifest.ManifestVersion} is newer than this module understands ({BackupManifest.CurrentVersion})");
            return manifest;
        }
        catch (JsonException ex)
        {
            throw new BackupException($"{origin}: not a readable backup manifest ({ex.Message})", ex);
        }
    }

    /// <summary>The manifest beside an archive, or null when there is none.</summary>
    public static async Task<BackupManifest?> TryLoadAsync(string archiveLocation, IAmazonS3? client, CancellationToken ct)
    {
        var manifestLocation = BackupManifest.ManifestLocationFor(archiveLocation);
        string? json;
        if (S3ObjectLocation.IsS3Uri(archiveLocation))
        {
            if (client is null)
                throw new ArgumentNullException(nameof(client));
            json = await TryGetTextAsync(client, S3ObjectLocation.Parse(manifestLocation), ct).ConfigureAwait(false);
        }
        else
        {
            json = File.Exists(manifestLocation) ? await File.ReadAllTextAsync(manifestLocation, ct).ConfigureAwait(false) : null;
        }
        if (json is null)
            return null;
        var manifest = Parse(json, manifestLocation);
        // The archive is wherever its manifest is now, even if the pair was moved.
        manifest.Location = archiveLocation;
        return manifest;
    }

    public static async Task SaveAsync(BackupManifest manifest, IAmazonS3? client, CancellationToken ct)
    {
        var json = Serialize(manifest);
        var location = manifest.ManifestLocation;
        if (S3ObjectLocation.IsS3Uri(location))
        {
            var target = S3ObjectLocation.Parse(location);
            try
            {
                await client!.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = target.Bucket,
                    Key = target.Key,
                    ContentBody = json,
                    ContentType = "application/json",
                    UseChunkEncoding = false,
                }, ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex)
            {
                throw S3Errors.Describe(target, ex, "write");
            }
            return;
        }
        var temp = location + ".pgphase-partial";
        await File.WriteAllTextAsync(temp, json, new UTF8Encoding(false), ct).ConfigureAwait(false);
        File.Move(temp, location, overwrite: true);
    }

    public static async Task DeleteAsync(string archiveLocation, IAmazonS3? client, CancellationToken ct)
    {
        var location = BackupManifest.ManifestLocationFor(archiveLocation);
        if (S3ObjectLocation.IsS3Uri(location))
        {
            var target = S3ObjectLocation.Parse(location);
            await client!.DeleteObjectAsync(target.Bucket, target.Key, ct).ConfigureAwait(false);
        }
        else
        {
            File.Delete(location);
        }
    }

    internal static async Task<string?> TryGetTextAsync(IAmazonS3 client, S3ObjectLocation location, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetObjectAsync(location.Bucket, location.Key, ct).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchKey" || ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception ex)
        {
            throw S3Errors.Describe(location, ex);
        }
    }
}
