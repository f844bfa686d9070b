using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>Runs the built `pgphase` host as a separate process, the way operators and scripts do.</summary>
public static class PgPhaseCli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "pgphase.dll");

    public static ChildProcess.Result Run(IDictionary<string, string?>? environment, params string[] args) =>
        ChildProcess.Run("dotnet", [Dll, .. args], TimeSpan.FromMinutes(10), environment);

    public static ChildProcess.Result Run(params string[] args) => Run(null, args);

    public static ChildProcess.Running Start(IDictionary<string, string?>? environment, params string[] args) =>
        ChildProcess.Start("dotnet", [Dll, .. args], environment);

    /// <summary>The variables that point `pgphase` at s3rver, keys through the AWS chain as operators pass them.</summary>
    public static Dictionary<string, string?> S3Environment(S3rverServer s3, string? secret = null) => new()
    {
        ["S3_ENDPOINT_URL"] = s3.Endpoint, ["AWS_S3_FORCE_PATH_STYLE"] = "true", ["AWS_REGION"] = "us-east-1",
        ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = secret ?? S3rverServer.SecretKey,
        ["S3_MAX_RETRIES"] = "2",
    };
}
