#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and packages the PgPhaseRestore module.
.DESCRIPTION
    Build    publishes the module into out/PgPhaseRestore (manifest, formats, help, cmdlet assembly and dependencies).
    Package  packs that folder as users install it (after Build): out/PgPhaseRestore.<version>.nupkg, published with
             Microsoft.PowerShell.PSResourceGet into a folder repository (out/repository) registered for this build
             only, and the Azure Automation import zip out/PgPhaseRestore.zip (a zip holding a folder named after the
             module).
    Test     runs the xunit suites (dotnet test), then the Pester tests in tests/Pester against the built module.
    Demo     runs `pgphase demo` through the built command-line host: a throwaway cluster, a sample database,
             backup, four-phase restores beside plain pg_restore, verification, clean-up.
    Pester   runs only the Pester tests against the built module (after Build), in a fresh pwsh process, and
             ends with one line "Pester - Failed: N, Passed: N, Skipped: N, Total: N".
.EXAMPLE
    ./build.ps1 -Task Build, Test
.EXAMPLE
    ./build.ps1 -Task Demo -DemoArguments '--rows', '1000000'
.EXAMPLE
    ./build.ps1 -Task Build, Pester -Configuration Debug
.EXAMPLE
    ./build.ps1 -Task Build, Package
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Package', 'Test', 'Demo', 'Pester')]
    [string[]] $Task = @('Build', 'Test'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Passed on to `pgphase demo`, e.g. '--rows', '1000000'.
    [string[]] $DemoArguments = @()
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleDir = Join-Path $out 'PgPhaseRestore'
# This PowerShell's own executable: as a dotnet tool the process is dotnet itself, and $PSHOME holds pwsh.
$pwsh = @((Join-Path $PSHOME 'pwsh'), (Join-Path $PSHOME 'pwsh.exe'), (Get-Process -Id $PID).Path) | Where-Object { Test-Path $_ -PathType Leaf } | Select-Object -First 1

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

if ('Build' -in $Task) {
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    # The publish lays out the whole folder (manifest, formats, help, cmdlet assembly, bin/), so
    # `dotnet publish src/PgPhaseRestore.PowerShell -o out/PgPhaseRestore` gives the same result without pwsh.
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/PgPhaseRestore.PowerShell'), '-c', $Configuration, '-o', $moduleDir, '--nologo')
    Write-Host "module: $moduleDir"
}

if ('Package' -in $Task) {
    if (-not (Test-Path (Join-Path $moduleDir 'PgPhaseRestore.psd1'))) { throw "No module in $moduleDir to pack: ./build.ps1 -Task Build first" }
    $null = Test-ModuleManifest (Join-Path $moduleDir 'PgPhaseRestore.psd1') -ErrorAction Stop
    $repository = Join-Path $out 'repository'
    if (Test-Path $repository) { Remove-Item $repository -Recurse -Force }
    $null = New-Item -ItemType Directory $repository
    # A repository of this build's own, unregistered afterwards: the user's registered repositories stay as they were.
    $name = "PgPhaseRestore-build-$PID"
    Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
    Register-PSResourceRepository -Name $name -Uri $repository -Trusted
    try {
        Publish-PSResource -Path $moduleDir -Repository $name -ErrorAction Stop
    }
    finally {
        Unregister-PSResourceRepository -Name $name
    }
    $package = Get-ChildItem $repository -Filter 'PgPhaseRestore.*.nupkg' | Select-Object -First 1
    if (-not $package) { throw "Publish-PSResource wrote no package into $repository" }
    Copy-Item $package.FullName $out -Force
    Compress-Archive -Path $moduleDir -DestinationPath (Join-Path $out 'PgPhaseRestore.zip') -Force
    Write-Host "package: $(Join-Path $out $package.Name)"
    Write-Host "Azure Automation: $(Join-Path $out 'PgPhaseRestore.zip')"
}

if ('Test' -in $Task) {
    Invoke-Native dotnet @('test', (Join-Path $root 'PgPhaseRestore.PowerShell.sln'), '-c', $Configuration)
}

if ('Test' -in $Task -or 'Pester' -in $Task) {
    if (-not (Test-Path (Join-Path $moduleDir 'PgPhaseRestore.psd1'))) {
        throw "No module in $moduleDir to test: ./build.ps1 -Task Build first"
    }
    # The Pester that scripts/setup.sh restored from NuGet (pinned), else one installed for the user.
    $pesterVersion = ([xml](Get-Content (Join-Path $root 'Directory.Packages.props'))).Project.PropertyGroup.PesterVersion | Where-Object { $_ }
    $pester = Join-Path $root ".tools/packages/pester/$pesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester)) {
        $pester = (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0.0' | Sort-Object Version -Descending | Select-Object -First 1).Path
        if (-not $pester) { throw "Pester $pesterVersion is missing: run scripts/setup.sh" }
    }
    # A fresh process, so the module under test is the one just built. The suite starts its own cluster and s3rver
    # from the test services built in this configuration. The closing line has the form of dotnet test's summary, so
    # that one count can cover both (scripts/test.sh adds them up); a skipped test fails the run.
    # dotnet test builds only the test projects; the services the suite starts are built here.
    Invoke-Native dotnet @('build', (Join-Path $root 'tests/PgPhaseRestore.TestServices'), '-c', $Configuration, '--nologo', '-v', 'quiet')
    $env:PGPHASE_MODULE_PATH = $moduleDir
    $env:PGPHASE_TEST_CONFIGURATION = $Configuration
    Invoke-Native $pwsh @('-NoProfile', '-NonInteractive', '-Command', @"
Import-Module '$pester'
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/Pester')'
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Detailed'
`$result = Invoke-Pester -Configuration `$config
`$skipped = `$result.SkippedCount + `$result.NotRunCount
'Pester - Failed: {0}, Passed: {1}, Skipped: {2}, Total: {3}' -f `$result.FailedCount, `$result.PassedCount, `$skipped, `$result.TotalCount
if (`$result.Result -ne 'Passed' -or `$skipped -gt 0 -or `$result.PassedCount -eq 0) { exit 1 }
"@)
}

if ('Demo' -in $Task) {
    $cli = Join-Path $out 'pgphase'
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/PgPhaseRestore.Cli'), '-c', $Configuration, '-o', $cli, '--nologo')
    # The demo's exit code is the build's: 0 only when verification passed.
    Invoke-Native dotnet (@((Join-Path $cli 'pgphase.dll'), 'demo') + $DemoArguments)
}
