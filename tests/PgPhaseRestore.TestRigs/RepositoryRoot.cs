namespace PgPhaseRestore.TestRigs;

/// <summary>The repository the tests and benchmarks were built from: the folder above their binaries that holds the module manifest.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "PgPhaseRestore.psd1")))
                return dir.FullName;
        throw new InvalidOperationException("the repository root was not found above the test binaries");
    }
}
