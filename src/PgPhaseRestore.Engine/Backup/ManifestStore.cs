using Amazon.Runtime;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>Reads and writes manifests beside their archives, in a bucket or on disk; local writes are atomic.</summary>
internal static class ManifestStore
{
    internal static readonly JsonSerializerOptions Json = Serialization.EngineJson.Manifest;

    public static string Serialize(BackupManifest manifest) => Serialization.EngineJson.Serialize(manifest, Json);

    /// <summary>Parses a manifest; <paramref name="origin"/> names it in errors.</summary>
    public static BackupManifest Parse(string json, string origin)
    {
        try
        {
            var manifest = Serialization.EngineJson.Deserialize<BackupManifest>(json, Json) ?? throw new JsonException("empty document");
            // Any JSON object reads as one, every member defaulted: a backup's manifest names at least these.
            if (manifest.ManifestVersion < 1 || string.IsNullOrEmpty(manifest.Database) || string.IsNullOrEmpty(manifest.Location))
                throw new JsonException("it names no manifest version, database or location");
            if (manifest.ManifestVersion > BackupManifest.CurrentVersion)
                throw new PgPhaseException($"{origin}: manifest version {manifest.ManifestVersion} is newer than this module understands ({BackupManifest.CurrentVersion})", PgPhaseErrorCode.InvalidInput);
            return manifest;
        }
        catch (JsonException ex)
        {
            throw new PgPhaseException($"{origin}: not a readable backup manifest ({ex.Message})", PgPhaseErrorCode.DamagedArchive, ex);
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

    /// <summary>
    /// Writes the manifest. Unless <paramref name="replace"/>, a manifest already there is never overwritten:
    /// in a bucket the write carries If-None-Match: * and is preceded by a check (for servers that ignore the
    /// header); on disk the final rename refuses an existing name.
    /// </summary>
    public static async Task SaveAsync(BackupManifest manifest, IAmazonS3? client, CancellationToken ct, bool replace = false)
    {
        var json = Serialize(manifest);
        var location = manifest.ManifestLocation;
        if (S3ObjectLocation.IsS3Uri(location))
        {
            var target = S3ObjectLocation.Parse(location);
            if (!replace && await TryGetTextAsync(client!, target, ct).ConfigureAwait(false) is not null)
                throw AlreadyThere(location);
            PutObjectRequest Request(bool conditional) => new()
            {
                BucketName = target.Bucket,
                Key = target.Key,
                ContentBody = json,
                ContentType = "application/json",
                UseChunkEncoding = false,
                IfNoneMatch = conditional ? "*" : null,
            };
            try
            {
                await client!.PutObjectAsync(Request(!replace), ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (!replace && ConditionalWrites.IsUnsupported(ex))
            {
                await S3Errors.CallAsync(client!, target, "write the object", () => client!.PutObjectAsync(Request(false), ct), ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (!replace && ConditionalWrites.IsRefused(ex))
            {
                // Refused also when this very write was retried after it succeeded: then the text there is ours.
                if (await TryGetTextAsync(client!, target, ct).ConfigureAwait(false) != json)
                    throw AlreadyThere(location);
            }
            catch (Exception ex) when (S3Errors.Map(client!, target, ex, "write the object", ct) is { } mapped)
            {
                throw mapped;
            }
            return;
        }
        var temp = RunIdentity.PartialPath(location, Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(temp, json, new UTF8Encoding(false), ct).ConfigureAwait(false);
        try
        {
            File.Move(temp, location, overwrite: replace);
        }
        catch (IOException) when (File.Exists(location))
        {
            throw AlreadyThere(location);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static PgPhaseException AlreadyThere(string manifestLocation) =>
        new($"{manifestLocation}: another manifest was written there while this backup ran; it was left as it is and this backup's manifest was not written", PgPhaseErrorCode.BackupFailed);

    public static async Task DeleteAsync(string archiveLocation, IAmazonS3? client, CancellationToken ct)
    {
        var location = BackupManifest.ManifestLocationFor(archiveLocation);
        if (S3ObjectLocation.IsS3Uri(location))
        {
            var target = S3ObjectLocation.Parse(location);
            await S3Errors.CallAsync(client!, target, "delete the object", () => client!.DeleteObjectAsync(target.Bucket, target.Key, ct), ct).ConfigureAwait(false);
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
        catch (AmazonServiceException ex) when (S3Errors.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (S3Errors.Map(client, location, ex, "read the object", ct) is { } mapped)
        {
            throw mapped;
        }
    }
}
