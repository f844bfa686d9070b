using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>Runs the built `pgphase` host as a separate process, the way operators and scripts do.</summary>
public static class PgPhaseCli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "pgphase.dll");

    public static ChildProcess.Result Run(IDictionary<string, string?>? environment, params string[] args) =>
        ChildProcess.Run("dotnet", [Dll, .. args], TimeSpan.FromMinutes(10), environment);

    public static ChildProcess.Result Run(params string[] args) => Run(null, args);

    /// <summary>
    /// Runs pgphase as another OS user through runuser (the tests run as root), which keeps the environment given
    /// but HOME, SHELL, USER and LOGNAME; the built files are copied where that user can read them when the build
    /// folder is out of its reach.
    /// </summary>
    public static ChildProcess.Result RunAs(string osUser, IDictionary<string, string?> environment, params string[] args) =>
        ChildProcess.Run("runuser", ["-u", osUser, "--", "dotnet", ReadableDll(osUser), .. args], TimeSpan.FromMinutes(10), environment);

    private static readonly Dictionary<string, string> ReadableCopies = new();

    private static string ReadableDll(string osUser)
    {
        lock (ReadableCopies)
        {
            if (ReadableCopies.TryGetValue(osUser, out var known))
                return known;
            var dll = Dll;
            if (ChildProcess.Run("runuser", ["-u", osUser, "--", "test", "-r", dll], TimeSpan.FromSeconds(30)).ExitCode != 0)
            {
                var dir = Directory.CreateTempSubdirectory("pgphase-cli-").FullName;
                ChildProcess.RunChecked("cp", ["-a", AppContext.BaseDirectory.TrimEnd('/') + "/.", dir], TimeSpan.FromMinutes(2));
                ChildProcess.RunChecked("chmod", ["-R", "a+rX", dir], TimeSpan.FromMinutes(1));
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    try
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                };
                dll = Path.Combine(dir, "pgphase.dll");
            }
            ReadableCopies[osUser] = dll;
            return dll;
        }
    }

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
