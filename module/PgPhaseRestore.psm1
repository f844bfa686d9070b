# The module's root: loads the cmdlets into the module's own AssemblyLoadContext (bin/), so that the engine,
# Npgsql and the AWS SDK they need never clash with other versions that other modules have loaded, and engine types
# may appear in any cmdlet signature. Only the small loader assembly joins PowerShell's default context.

$binFolder = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
if (-not ('PgPhaseRestore.PowerShell.Loader.ModuleLoadContext' -as [type])) {
    Add-Type -Path ([System.IO.Path]::Combine($binFolder, 'PgPhaseRestore.PowerShell.Loader.dll'))
}
$cmdletAssembly = [PgPhaseRestore.PowerShell.Loader.ModuleLoadContext]::Initialize($binFolder)
$loadedFrom = [System.IO.Path]::GetDirectoryName($cmdletAssembly.Location)
if ($loadedFrom -ne [System.IO.Path]::GetFullPath($binFolder)) {
    # A process holds one copy of each version of the cmdlets: the first imported serves every later import.
    Write-Verbose "PgPhaseRestore $($cmdletAssembly.GetName().Version) is already loaded in this process from $loadedFrom; its cmdlets serve this import of $PSScriptRoot too"
}

# Import-Module Microsoft.PowerShell.Core's own, in case a proxy of that name is in scope.
$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
$inner = & $importModule -Assembly $cmdletAssembly -PassThru

# After Remove-Module, importing the same assembly again finds PowerShell's cached module for it and does not hand
# its cmdlets to this script module, which would then export nothing (PowerShell issue 20710). Adding them here
# makes every import export the same cmdlets.
$addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
    'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
    $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
}
