# Shared by the Pester suite: the module under test, and the real services the suite runs against (a throwaway
# PostgreSQL cluster and s3rver on loopback, started by the test rigs as a process). Dot-source it in BeforeAll.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ModuleFolder = if ($env:PGPHASE_MODULE_PATH) { $env:PGPHASE_MODULE_PATH } else { Join-Path $script:RepoRoot 'out/PgPhaseRestore' }
# Absolute: runspaces of ForEach-Object -Parallel and child processes import it from their own locations.
$script:Manifest = (Resolve-Path (Join-Path $script:ModuleFolder 'PgPhaseRestore.psd1')).Path
# This PowerShell's own executable: as a dotnet tool the process is dotnet itself, and $PSHOME holds pwsh.
$script:Pwsh = @((Join-Path $PSHOME 'pwsh'), (Join-Path $PSHOME 'pwsh.exe'), (Get-Process -Id $PID).Path) | Where-Object { Test-Path $_ -PathType Leaf } | Select-Object -First 1
$script:Packages = Join-Path $script:RepoRoot '.tools/packages'

# Journals and anything else the module writes by default stay out of the user's home.
if (-not $env:PGPHASE_JOURNAL_DIR) {
    $env:PGPHASE_JOURNAL_DIR = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "pgphase-pester-journals-$PID") -Force).FullName
}

function Start-TestServices([switch] $Ssl, [switch] $SecondServer) {
    <#
    Starts the cluster and s3rver; they stop when Stop-TestServices closes the process's standard input. -Ssl: the
    cluster accepts TLS too (sslmode=require). -SecondServer: a second cluster with the same user and password.
    #>
    $configuration = if ($env:PGPHASE_TEST_CONFIGURATION) { $env:PGPHASE_TEST_CONFIGURATION } else { 'Debug' }
    $dll = Join-Path $script:RepoRoot "tests/PgPhaseRestore.TestServices/bin/$configuration/net8.0/PgPhaseRestore.TestServices.dll"
    if (-not (Test-Path $dll)) { throw "The test services are not built ($dll): dotnet build PgPhaseRestore.PowerShell.sln -c $configuration" }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($dll)
    if ($Ssl) { $psi.ArgumentList.Add('--ssl') }
    if ($SecondServer) { $psi.ArgumentList.Add('--second-server') }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $line = $process.StandardOutput.ReadLine()
    if (-not $line) { throw "The test services ended before they were ready (exit code $(if ($process.HasExited) { $process.ExitCode }))" }
    $s = $line | ConvertFrom-Json
    $password = ConvertTo-SecureString $s.Password -AsPlainText -Force
    [pscustomobject]@{
        Process          = $process
        Host             = $s.Host
        Port             = $s.Port
        User             = $s.User
        # A libpq string without the password: that comes as a credential, as an operator's would.
        Server           = "host=$($s.Host) port=$($s.Port) user=$($s.User)"
        Credential       = [pscredential]::new($s.User, $password)
        PlainPassword    = $s.Password
        SourceDatabase   = $s.SourceDatabase
        Archive          = $s.Archive
        DirectoryArchive = $s.DirectoryArchive
        S3Endpoint       = $s.S3Endpoint
        S3Credential     = [pscredential]::new($s.S3AccessKey, (ConvertTo-SecureString $s.S3SecretKey -AsPlainText -Force))
        S3SecretKey      = $s.S3SecretKey
        Bucket           = $s.Bucket
        WorkFolder       = $s.WorkFolder
        PgBinDir         = $s.PgBinDir
        SecondServer     = if ($s.SecondPort) { "host=$($s.SecondHost) port=$($s.SecondPort) user=$($s.User)" }
        SecondPort       = $s.SecondPort
    }
}

function Stop-TestServices($Services) {
    if (-not $Services) { return }
    $Services.Process.StandardInput.Close()
    if (-not $Services.Process.WaitForExit(60000)) { $Services.Process.Kill($true) }
}

function Send-TestServices($Services, [string] $Command) {
    <# stop-s3 / start-s3: takes the bucket's server away, or brings it back on the same port and data. #>
    $Services.Process.StandardInput.WriteLine($Command)
    $Services.Process.StandardInput.Flush()
    $null = $Services.Process.StandardOutput.ReadLine()
}

function New-TestDatabaseName([string] $Prefix = 'pester') {
    "${Prefix}_$([guid]::NewGuid().ToString('N').Substring(0, 10))"
}

function Invoke-TestProcess([string] $File, [string[]] $Arguments, [hashtable] $Environment = @{}, [switch] $NoInput) {
    <#
    Runs a program to its end; its environment gets $Environment (a password for it alone). -NoInput: its standard
    input is closed at once, as cron or a scheduler runs it. Returns ExitCode, Out, Err.
    #>
    $psi = [System.Diagnostics.ProcessStartInfo]::new($File)
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    foreach ($name in $Environment.Keys) { $psi.Environment[$name] = $Environment[$name] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $NoInput.IsPresent
    $p = [System.Diagnostics.Process]::Start($psi)
    if ($NoInput) { $p.StandardInput.Close() }
    $err = $p.StandardError.ReadToEndAsync()
    $out = $p.StandardOutput.ReadToEnd()
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; Out = $out; Err = $err.Result }
}

function Invoke-TestSql($Services, [string] $Database, [string] $Sql, [int] $Port = $Services.Port) {
    <# psql as the reference client, its password in its own environment only; returns the unaligned rows. -Port: the second server's. #>
    $run = Invoke-TestProcess (Join-Path $Services.PgBinDir 'psql') @('-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-h', $Services.Host, '-p', "$Port", '-U', $Services.User, '-d', $Database, '-c', $Sql) @{ PGPASSWORD = $Services.PlainPassword }
    if ($run.ExitCode -ne 0) { throw "psql failed on ${Database}: $($run.Err)" }
    $run.Out.TrimEnd("`n") -split "`n" | Where-Object { $_ -ne '' }
}

function Test-DatabaseExists($Services, [string] $Database) {
    (Invoke-TestSql $Services 'postgres' "SELECT count(*) FROM pg_database WHERE datname = '$Database'") -eq '1'
}
