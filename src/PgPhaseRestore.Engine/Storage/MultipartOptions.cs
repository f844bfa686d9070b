namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// How a stream of unknown length is cut into multipart-upload parts. Parts start small and double every
/// tenth of the part limit, so a small dump uses few small parts while the largest still fits: with the
/// defaults, 8 MiB parts grow to 4 GiB and 10,000 parts hold about 7.8 TiB (S3 itself stops at 5 TiB).
/// Memory stays within <see cref="PartsInFlight"/> x the current part size.
/// </summary>
public sealed class MultipartOptions
{
    /// <summary>The smallest part S3 accepts (5 MiB), except the last.</summary>
    public const long MinPartSize = 5L * 1024 * 1024;

    /// <summary>The largest part S3 accepts (5 GiB).</summary>
    public const long S3MaxPartSize = 5L * 1024 * 1024 * 1024;

    /// <summary>The most parts S3 accepts in one upload.</summary>
    public const int S3MaxParts = 10_000;

    /// <summary>Size of the first parts unless a host says otherwise (S3_CHUNK_SIZE for the command line); every host's default.</summary>
    public const long DefaultInitialPartSize = 8L * 1024 * 1024;

    /// <summary>Size of the first parts (at least 5 MiB, the S3 minimum).</summary>
    public long InitialPartSize { get; init; } = DefaultInitialPartSize;

    /// <summary>Parts never grow beyond this; lower it to cap memory (at the cost of the largest object).</summary>
    public long MaxPartSize { get; init; } = S3MaxPartSize;

    /// <summary>The server's part limit: 10,000 on AWS; some providers allow fewer (Scaleway: 1,000).</summary>
    public int MaxParts { get; init; } = S3MaxParts;

    /// <summary>Parts held in memory at once unless a host says otherwise; every host's default.</summary>
    public const int DefaultPartsInFlight = 4;

    /// <summary>The most parts in flight a host offers: more adds memory, not speed.</summary>
    public const int MaxPartsInFlight = 64;

    /// <summary>Parts held in memory at once: the one being filled plus those uploading.</summary>
    public int PartsInFlight { get; init; } = DefaultPartsInFlight;

    /// <summary>Attempts per part beyond the first, with exponential backoff (by default the S3 requests' own, <see cref="S3Settings.DefaultMaxRetries"/>).</summary>
    public int Retries { get; init; } = S3Settings.DefaultMaxRetries;

    internal void Validate()
    {
        if (InitialPartSize < MinPartSize)
            throw new PgPhaseException($"part size {SizeText.Format(InitialPartSize)} is below the S3 minimum of 5 MiB", PgPhaseErrorCode.InvalidInput);
        if (MaxPartSize < InitialPartSize)
            throw new PgPhaseException($"maximum part size {SizeText.Format(MaxPartSize)} is below the initial part size {SizeText.Format(InitialPartSize)}", PgPhaseErrorCode.InvalidInput);
        if (MaxPartSize > S3MaxPartSize)
            throw new PgPhaseException($"maximum part size {SizeText.Format(MaxPartSize)} is above the S3 limit of 5 GiB", PgPhaseErrorCode.InvalidInput);
        if (MaxParts is < 1 or > S3MaxParts)
            throw new PgPhaseException($"maximum part count {MaxParts} must be between 1 and {S3MaxParts}", PgPhaseErrorCode.InvalidInput);
        if (PartsInFlight < 1)
            throw new PgPhaseException("at least one part must be allowed in flight", PgPhaseErrorCode.InvalidInput);
        if (Retries < 0)
            throw new PgPhaseException("retries cannot be negative", PgPhaseErrorCode.InvalidInput);
    }

    /// <summary>Size of part <paramref name="partNumber"/> (1-based).</summary>
    internal long PartSize(int partNumber)
    {
        int tierLength = Math.Max(1, MaxParts / 10);
        int tier = Math.Min((partNumber - 1) / tierLength, 30);
        long size = InitialPartSize << tier;
        return size <= 0 || size > MaxPartSize ? MaxPartSize : size;
    }

    /// <summary>The largest stream these settings can store.</summary>
    public long MaxObjectSize
    {
        get
        {
            long total = 0;
            int tierLength = Math.Max(1, MaxParts / 10);
            for (int part = 1; part <= MaxParts; part += tierLength)
            {
                int count = Math.Min(tierLength, MaxParts - part + 1);
                total += PartSize(part) * count;
            }
            return total;
        }
    }
}
