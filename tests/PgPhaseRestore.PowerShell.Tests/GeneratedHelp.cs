using System.Diagnostics;
using System.Xml.Linq;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The MAML help that publishing writes into en-US/, written here by the same HelpBuilder straight from the build
/// output of the cmdlets (no publish), into a temp folder; and the builder itself, to run on other doc comments.
/// </summary>
public sealed class GeneratedHelp : IDisposable
{
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public GeneratedHelp()
    {
        Metadata = new CmdletMetadata();
        Folder = Directory.CreateTempSubdirectory("pgphase-help-").FullName;
        var path = Path.Combine(Folder, "PgPhaseRestore.PowerShell.dll-Help.xml");
        var (exitCode, output) = Build(DocComments, path);
        if (exitCode != 0)
            throw new InvalidOperationException($"the help builder failed: {output}");
        Commands = XDocument.Load(path).Root!.Elements(Command + "command")
            .ToDictionary(c => c.Element(Command + "details")!.Element(Command + "name")!.Value);
    }

    public CmdletMetadata Metadata { get; }
    public string Folder { get; }

    /// <summary>Each cmdlet's &lt;command:command&gt;, by cmdlet name.</summary>
    public IReadOnlyDictionary<string, XElement> Commands { get; }

    /// <summary>The compiler's doc-comment file of the built cmdlets.</summary>
    public string DocComments => Path.Combine(Metadata.ModuleDirectory, "PgPhaseRestore.PowerShell.xml");

    /// <summary>Runs the HelpBuilder on the built cmdlets with <paramref name="docComments"/>: its exit code and what it printed.</summary>
    public (int ExitCode, string Output) Build(string docComments, string output)
    {
        var builder = Directory.GetFiles(Path.Combine(Metadata.RepoRoot, "tools", "PgPhaseRestore.HelpBuilder", "bin"), "PgPhaseRestore.HelpBuilder.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .First();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { builder, Path.Combine(Metadata.ModuleDirectory, "PgPhaseRestore.PowerShell.dll"), docComments, Path.Combine(AppContext.BaseDirectory, "System.Management.Automation.dll"), output })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the help builder did not finish within 2 minutes");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        Metadata.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
