using System.Diagnostics;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>The module folder as `dotnet publish` lays it out (what build.ps1 zips), in a temp directory.</summary>
public sealed class ModuleFolderFixture : IDisposable
{
    public ModuleFolderFixture()
    {
        RepoRoot = CmdletMetadata.FindRepoRoot();
        Folder = Directory.CreateTempSubdirectory("pgphase-module-").FullName;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "publish", Path.Combine(RepoRoot, "src", "PgPhaseRestore.PowerShell"), "-c", "Debug", "-o", Folder, "--nologo" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet publish of the module did not finish within 5 minutes");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"dotnet publish failed: {stdout.Result}{stderr.Result}");
    }

    public string RepoRoot { get; }
    public string Folder { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
            // Assemblies loaded by the isolation test may still be mapped on some platforms.
        }
    }
}
