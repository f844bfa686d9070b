# The module as an Azure Automation runbook meets it: a script run by pwsh -NonInteractive -File, credentials from
# variables (never on the command line), $ErrorActionPreference = 'Stop', and try/catch around each call that fails.
# What a runbook logs of a caught ErrorRecord is its id, its category and its message: each failure must come as one
# line that names the parameter to change, with no secret, no stack trace and no path of the machine that built the
# module; nothing the runbook writes, caught or not, may show a secret.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:svc = Start-TestServices

    # A port nothing listens on: bound, then released.
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $script:closedPort = $listener.LocalEndpoint.Port
    $listener.Stop()

    $script:wrongPassword = "wrong-$([guid]::NewGuid().ToString('N'))"
    $script:secrets = @($script:svc.PlainPassword, $script:wrongPassword, $script:svc.S3SecretKey)

    # Not an archive: pg_dump's magic, then garbage.
    $script:garbage = Join-Path $TestDrive 'garbage.dump'
    [IO.File]::WriteAllBytes($script:garbage, [byte[]](@(0x50, 0x47, 0x44, 0x4D, 0x50) + @(1..4000 | ForEach-Object { Get-Random -Minimum 0 -Maximum 256 })))
    # A real archive cut short inside its table of contents.
    $script:cut = Join-Path $TestDrive 'cut.dump'
    $bytes = [IO.File]::ReadAllBytes($script:svc.Archive)
    [IO.File]::WriteAllBytes($script:cut, $bytes[0..299])
    # A real archive, whole, with one byte changed inside its biggest table's compressed data: only decompressing finds it.
    $script:flipped = Join-Path $TestDrive 'flipped.dump'
    Import-Module $script:Manifest
    $starts = @((Get-PgDumpToc -LiteralPath $script:svc.Archive).Entries | Where-Object { $_.Type -eq 'TABLE DATA' -and $_.DataOffset } |
        ForEach-Object DataOffset | Sort-Object) + $bytes.Length
    $biggest = 0..($starts.Count - 2) | Sort-Object { $starts[$_ + 1] - $starts[$_] } -Descending | Select-Object -First 1
    $bytes[$starts[$biggest] + [int](($starts[$biggest + 1] - $starts[$biggest]) / 2)] = $bytes[$starts[$biggest] + [int](($starts[$biggest + 1] - $starts[$biggest]) / 2)] -bxor 0x55
    [IO.File]::WriteAllBytes($script:flipped, $bytes)

    # The path-style case: the endpoint's own host name (localhost) resolves; whether bucket.localhost does depends on
    # the resolver (RFC 6761 resolvers answer every *.localhost). Where it does not, only path style reaches the bucket.
    $script:pathStyleEndpoint = ([uri]$script:svc.S3Endpoint).GetLeftPart('Authority').Replace(([uri]$script:svc.S3Endpoint).Host, 'localhost')
    $script:bucketHostResolves = try { [System.Net.Dns]::GetHostAddresses("$($script:svc.Bucket).localhost").Count -gt 0 } catch { $false }

    # A database that already holds one of the archive's schemas: its first phase fails on a statement.
    $script:taken = New-TestDatabaseName 'runbook_taken'
    $null = Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE $script:taken"
    $null = Invoke-TestSql $script:svc $script:taken 'CREATE SCHEMA app'

    # An empty database whose sessions are read-only: a restore into it fails in its first phase.
    $script:readOnly = New-TestDatabaseName 'runbook_ro'
    $null = Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE $script:readOnly"
    $null = Invoke-TestSql $script:svc 'postgres' "ALTER DATABASE $script:readOnly SET default_transaction_read_only = on"

    $runbook = @'
# A runbook: everything it needs comes from variables (an Automation account's assets, here the environment).
$ErrorActionPreference = 'Stop'
Import-Module $env:RUNBOOK_MODULE

function New-Credential([string] $User, [string] $Secret) {
    [pscredential]::new($User, (ConvertTo-SecureString $Secret -AsPlainText -Force))
}
$target = New-Credential $env:RUNBOOK_PG_USER $env:RUNBOOK_PG_PASSWORD
$wrong = New-Credential $env:RUNBOOK_PG_USER $env:RUNBOOK_PG_WRONG_PASSWORD
$s3 = New-Credential $env:RUNBOOK_S3_ACCESS_KEY $env:RUNBOOK_S3_SECRET_KEY
Remove-Item Env:RUNBOOK_PG_PASSWORD, Env:RUNBOOK_PG_WRONG_PASSWORD, Env:RUNBOOK_S3_SECRET_KEY

$server = "host=$env:RUNBOOK_PG_HOST port=$env:RUNBOOK_PG_PORT"
$database = "runbook_$([guid]::NewGuid().ToString('N').Substring(0, 8))"

function Invoke-Case([string] $Case, [scriptblock] $Call) {
    $record = $null
    try {
        $null = & $Call
        Write-Output "case ${Case}: no error"
    }
    catch {
        $record = $_
        # What a runbook's job log shows.
        Write-Output "case ${Case} failed: $_"
        Write-Warning "case ${Case}: $($_.CategoryInfo.Category): $($_.ErrorDetails.RecommendedAction)"
    }
    'RESULT ' + ([ordered]@{
        Case                  = $Case
        Caught                = $null -ne $record
        FullyQualifiedErrorId = "$($record.FullyQualifiedErrorId)"
        Category              = "$($record.CategoryInfo.Category)"
        Message               = "$record"
        DetailsMessage        = "$($record.ErrorDetails.Message)"
        ExceptionMessage      = "$($record.Exception.Message)"
        RecommendedAction     = "$($record.ErrorDetails.RecommendedAction)"
        HasScriptStackTrace   = -not [string]::IsNullOrEmpty($record.ScriptStackTrace)
        ExceptionText         = "$($record.Exception)"
        TargetObject          = "$($record.TargetObject)"
        # What a job's error stream keeps of the record, and what Export-Clixml writes (encoded: it names the module's folder).
        Serialized            = if ($record) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([System.Management.Automation.PSSerializer]::Serialize($record, 3))) } else { '' }
    } | ConvertTo-Json -Compress)
}

$s3Parameters = @{ S3Endpoint = $env:RUNBOOK_S3_ENDPOINT; S3ForcePathStyle = $true; S3Credential = $s3; Region = 'us-east-1' }

Invoke-Case 'BadPassword' { Invoke-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=$database" -TargetCredential $wrong -CreateDatabase -NoOwner }
Invoke-Case 'BadPasswordTest' { Test-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=postgres" -TargetCredential $wrong }
Invoke-Case 'ClosedPort' { Invoke-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "host=127.0.0.1 port=$env:RUNBOOK_CLOSED_PORT dbname=$database" -TargetCredential $target -CreateDatabase -NoOwner }
Invoke-Case 'MissingPath' { Invoke-PgPhaseRestore -Path $env:RUNBOOK_MISSING -TargetConnection "$server dbname=$database" -TargetCredential $target -CreateDatabase -NoOwner }
Invoke-Case 'NoMatch' { Get-PgDumpToc -Path $env:RUNBOOK_NO_MATCH }
Invoke-Case 'MissingBackupFolder' { Get-PgBackup -Path $env:RUNBOOK_MISSING_FOLDER }
# A name meant as such that matches nothing stops the runbook, rather than a loop over nothing that reports success.
Invoke-Case 'NoSuchDatabase' { Get-PgDatabase -ServerConnection $server -ServerCredential $target -Name 'runbook_nosuch' | Backup-PgDatabase -SourceCredential $target -Path "$env:RUNBOOK_MISSING.d/" }
Invoke-Case 'NoSuchBackup' { Get-PgBackup -Path $env:RUNBOOK_BACKUPS -Database 'runbook_nosuch' -Latest }
Invoke-Case 'Garbage' { Get-PgDumpToc -Path $env:RUNBOOK_GARBAGE }
Invoke-Case 'Cut' { Invoke-PgPhaseRestore -Path $env:RUNBOOK_CUT -TargetConnection "$server dbname=$database" -TargetCredential $target -CreateDatabase -NoOwner }
Invoke-Case 'Flipped' { Invoke-PgPhaseRestore -Path $env:RUNBOOK_FLIPPED -TargetConnection "$server dbname=${database}_flipped" -TargetCredential $target -CreateDatabase -NoOwner }
# A statement the server refuses (the schema exists already in a target allowed to be non-empty), then the verdict on that target.
Invoke-Case 'Refused' { Invoke-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=$env:RUNBOOK_TAKEN" -TargetCredential $target -NoOwner -AllowNonEmptyTarget }
Invoke-Case 'Differs' { Test-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=$env:RUNBOOK_TAKEN" -TargetCredential $target }
# A copy whose restore the target refuses (its sessions are read-only): the backup it made is kept, and the record says how to go on from it.
Invoke-Case 'CopyRefused' { Copy-PgDatabase -SourceConnection "$server dbname=$env:RUNBOOK_SOURCE_DB" -SourceCredential $target -Path $env:RUNBOOK_COPIES -TargetConnection "$server dbname=$env:RUNBOOK_READ_ONLY" -TargetCredential $target -NoOwner }
Invoke-Case 'MissingBucket' { Get-PgDumpToc -Path 's3://no-such-bucket-runbook/x.dump' @s3Parameters }
# Passwords inside the connection strings themselves, as some scripts still pass them.
$inString = $wrong.GetNetworkCredential().Password
Invoke-Case 'PasswordInStringTest' { Test-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=postgres user=$env:RUNBOOK_PG_USER password=$inString" }
Invoke-Case 'PasswordInBadString' { Backup-PgDatabase -SourceConnection "$server dbname=postgres password=$inString nosuchkeyword=1" -Path "$env:RUNBOOK_MISSING.d/" }
Invoke-Case 'PasswordInBadUri' { Backup-PgDatabase -SourceConnection "postgresql://$($env:RUNBOOK_PG_USER):$inString@127.0.0.1:notaport/postgres" -Path "$env:RUNBOOK_MISSING.d/" }
# A credential beside a string that names another user, or holds a password of its own: which applies is never guessed.
Invoke-Case 'CredentialBesidePassword' { Test-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=postgres password=$inString" -TargetCredential $target }
Invoke-Case 'CredentialForAnotherUser' { Test-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=postgres user=someone_else" -TargetCredential $target }
# Rows from a CSV (Import-Csv) or [pscustomobject]s that carry the connection string beside the archive.
Invoke-Case 'CsvRowTest' { [pscustomobject]@{ Path = $env:RUNBOOK_ARCHIVE; TargetConnection = "$server dbname=postgres user=$env:RUNBOOK_PG_USER password=$inString" } | Test-PgPhaseRestore }
Invoke-Case 'CsvRowWithoutPath' { [pscustomobject]@{ Dump = $env:RUNBOOK_ARCHIVE; TargetConnection = "$server dbname=postgres password=$inString" } | Test-PgPhaseRestore }
# A profile the shared files do not hold (they hold another one).
Invoke-Case 'MissingProfile' { Get-PgDumpToc -Path "s3://$env:RUNBOOK_BUCKET/x.dump" -S3Endpoint $env:RUNBOOK_S3_ENDPOINT -S3ForcePathStyle -Region 'us-east-1' -ProfileName 'no-such-profile' }
Invoke-Case 'PathStyle' { Get-PgDumpToc -Path "s3://$env:RUNBOOK_BUCKET/x.dump" -S3Endpoint $env:RUNBOOK_PATH_STYLE_ENDPOINT -S3Credential $s3 -Region 'us-east-1' }

# Uncaught, as a runbook's last error is: the job fails with it.
Invoke-PgPhaseRestore -Path $env:RUNBOOK_ARCHIVE -TargetConnection "$server dbname=$database" -TargetCredential $wrong -CreateDatabase -NoOwner
Write-Output 'not reached'
'@
    $script:runbookPath = Join-Path $TestDrive 'runbook.ps1'
    Set-Content -LiteralPath $script:runbookPath -Value $runbook

    $psi = [System.Diagnostics.ProcessStartInfo]::new($script:Pwsh)
    foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $script:runbookPath)) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $variables = @{
        RUNBOOK_MODULE              = $script:Manifest
        RUNBOOK_PG_HOST             = $script:svc.Host
        RUNBOOK_PG_PORT             = "$($script:svc.Port)"
        RUNBOOK_PG_USER             = $script:svc.User
        RUNBOOK_PG_PASSWORD         = $script:svc.PlainPassword
        RUNBOOK_PG_WRONG_PASSWORD   = $script:wrongPassword
        RUNBOOK_S3_ENDPOINT         = $script:svc.S3Endpoint
        RUNBOOK_S3_ACCESS_KEY       = $script:svc.S3Credential.UserName
        RUNBOOK_S3_SECRET_KEY       = $script:svc.S3SecretKey
        RUNBOOK_BUCKET              = $script:svc.Bucket
        RUNBOOK_PATH_STYLE_ENDPOINT = $script:pathStyleEndpoint
        RUNBOOK_ARCHIVE             = $script:svc.Archive
        RUNBOOK_MISSING             = (Join-Path $TestDrive 'no-such-folder/nightly.dump')
        RUNBOOK_NO_MATCH            = (Join-Path $TestDrive 'nightly-*.dump')
        RUNBOOK_MISSING_FOLDER      = (Join-Path $TestDrive 'no-such-backups')
        RUNBOOK_BACKUPS             = $TestDrive
        RUNBOOK_GARBAGE             = $script:garbage
        RUNBOOK_CUT                 = $script:cut
        RUNBOOK_FLIPPED             = $script:flipped
        RUNBOOK_CLOSED_PORT         = "$script:closedPort"
        RUNBOOK_TAKEN               = $script:taken
        RUNBOOK_READ_ONLY           = $script:readOnly
        RUNBOOK_SOURCE_DB           = $script:svc.SourceDatabase
        RUNBOOK_COPIES              = (Join-Path $TestDrive 'copies/')
    }
    foreach ($k in $variables.Keys) { $psi.Environment[$k] = $variables[$k] }
    # Nothing the runbook needs comes from PG* or AWS_* variables of the test process.
    foreach ($k in @($psi.Environment.Keys | Where-Object { $_ -like 'PGPASS*' -or $_ -like 'AWS_*' })) { $null = $psi.Environment.Remove($k) }
    # Shared AWS files of the test's own, never the user's: one profile, not the one a case asks for.
    $awsFiles = Join-Path $TestDrive 'aws'
    $null = New-Item -ItemType Directory -Path $awsFiles -Force
    Set-Content (Join-Path $awsFiles 'credentials') @('[nightly]', 'aws_access_key_id = AKIAEXAMPLE', 'aws_secret_access_key = not-a-secret')
    Set-Content (Join-Path $awsFiles 'config') @('[profile nightly]', 'region = us-east-1')
    $psi.Environment['AWS_SHARED_CREDENTIALS_FILE'] = Join-Path $awsFiles 'credentials'
    $psi.Environment['AWS_CONFIG_FILE'] = Join-Path $awsFiles 'config'
    $script:commandLine = $psi.ArgumentList -join ' '

    $process = [System.Diagnostics.Process]::Start($psi)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit(300000)) { $process.Kill($true); throw 'the runbook did not finish within 5 minutes' }
    $script:exitCode = $process.ExitCode
    $script:stdout = $stdout.GetAwaiter().GetResult()
    $script:stderr = $stderr.GetAwaiter().GetResult()
    $script:results = @{}
    foreach ($line in $script:stdout -split "`r?`n" | Where-Object { $_.StartsWith('RESULT ') }) {
        $r = $line.Substring(7) | ConvertFrom-Json
        $script:results[$r.Case] = $r
    }

    function Assert-RunbookRecord([string] $Case, [string] $Category, [string[]] $Parameters, [string] $ErrorId) {
        $r = $script:results[$Case]
        $r | Should -Not -BeNullOrEmpty -Because "the runbook reports case $Case (stdout: $script:stdout; stderr: $script:stderr)"
        $r.Caught | Should -BeTrue -Because "$Case must fail, and fail as an error the runbook can catch"
        $r.Category | Should -Be $Category -Because "$Case`: $($r.Message)"
        if ($ErrorId) { $r.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*" }
        $r.Message | Should -Be $r.DetailsMessage
        $r.Message | Should -Not -Match '[\r\n]' -Because 'a runbook log line is one line'
        $r.Message | Should -Not -BeNullOrEmpty
        foreach ($p in $Parameters) {
            $r.Message | Should -Match "(?<![\w-])$([regex]::Escape($p))\b" -Because "$Case names the parameter to change: $($r.Message)"
        }
        $r.RecommendedAction | Should -Not -BeNullOrEmpty
        foreach ($field in 'Message', 'RecommendedAction', 'ExceptionMessage') {
            $text = $r.$field
            $text | Should -Not -Match '(?m)^\s+at ' -Because "no stack trace in $field"
            $text | Should -Not -Match '\.cs(:line \d+)?\b' -Because "no source file in $field"
            $text | Should -Not -Match '(?<![\w-])--[a-z]' -Because "the cmdlets' parameters, not pgphase's options, in $field"
            $text.Contains($script:RepoRoot) | Should -BeFalse -Because "no build path in $field"
            foreach ($secret in $script:secrets) { $text.Contains($secret) | Should -BeFalse -Because "no secret in $field" }
        }
        $r.HasScriptStackTrace | Should -BeTrue -Because 'the record says where in the runbook it failed'
        # Exception.ToString() carries the stack trace, as it should; its frames name sources as /_/..., not the build folder.
        $r.ExceptionText.Contains($script:RepoRoot) | Should -BeFalse -Because 'stack traces carry no build path'
        foreach ($secret in $script:secrets) { $r.ExceptionText.Contains($secret) | Should -BeFalse }
        $r
    }
}

AfterAll {
    Stop-TestServices $script:svc
}

Describe 'A runbook that catches the module''s errors' {
    It 'gets no secret on its command line' {
        foreach ($secret in $script:secrets) { $script:commandLine.Contains($secret) | Should -BeFalse }
    }

    It 'fails with the last, uncaught error and shows no secret in anything it writes' {
        $script:exitCode | Should -Not -Be 0
        $script:stdout | Should -Not -Match 'not reached'
        $script:stderr | Should -Match 'TargetCredential' -Because "the uncaught error is shown (stderr: $script:stderr)"
        foreach ($secret in $script:secrets) {
            $script:stdout.Contains($secret) | Should -BeFalse -Because 'no secret in the output'
            $script:stderr.Contains($secret) | Should -BeFalse -Because 'no secret in the error stream'
        }
        $script:stdout.Contains($script:RepoRoot) | Should -BeFalse -Because 'no build path in the output'
    }

    It 'shows no secret in any record''s target object, nor in the record as a job or Export-Clixml keeps it' {
        $script:results.Count | Should -BeGreaterThan 10
        foreach ($r in $script:results.Values) {
            foreach ($secret in $script:secrets) {
                $r.TargetObject.Contains($secret) | Should -BeFalse -Because "case $($r.Case): $($r.TargetObject)"
                [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($r.Serialized)).Contains($secret) | Should -BeFalse -Because "case $($r.Case) serialised"
            }
        }
    }

    It 'a password inside a connection string: the record shows where, never the password' {
        $r = Assert-RunbookRecord 'PasswordInStringTest' 'AuthenticationError' '-TargetCredential' 'PgPhaseRestore.ConnectionFailed'
        $r.Message | Should -Match 'the password came from the connection string'
        $r.TargetObject | Should -Be "$($script:svc.User)@$($script:svc.Host):$($script:svc.Port)/postgres"
        $r = Assert-RunbookRecord 'PasswordInBadString' 'InvalidArgument' '-SourceConnection'
        $r.Message | Should -Match 'nosuchkeyword'
        $r = Assert-RunbookRecord 'PasswordInBadUri' 'InvalidArgument' '-SourceConnection'
        $r.TargetObject | Should -Be 'the -SourceConnection value'
    }

    It 'a credential beside a string that holds a password or names another user: InvalidArgument naming both parameters' {
        $r = Assert-RunbookRecord 'CredentialBesidePassword' 'InvalidArgument' '-TargetConnection', '-TargetCredential' 'PgPhaseRestore.InvalidArgument'
        $r.Message | Should -Match 'holds a password'
        $r = Assert-RunbookRecord 'CredentialForAnotherUser' 'InvalidArgument' '-TargetConnection', '-TargetCredential' 'PgPhaseRestore.InvalidArgument'
        $r.Message | Should -Match '"someone_else"'
        $r.Message | Should -Match ([regex]::Escape("""$($script:svc.User)"""))
    }

    It 'a CSV row with Path and TargetConnection binds -Path to its Path, never to the row as text' {
        # The row's own password is wrong: the failure is the target's, so the archive was found by its path.
        $r = Assert-RunbookRecord 'CsvRowTest' 'AuthenticationError' '-TargetCredential' 'PgPhaseRestore.ConnectionFailed'
        $r.Message | Should -Not -Match '@\{'
        $r = $script:results['CsvRowWithoutPath']
        $r.Caught | Should -BeTrue
        $r.Message | Should -Match '^-Path: an object on the pipeline gives the archive as a property named Path, LiteralPath, Location or FullName; this one has none \(its properties: Dump, TargetConnection\)$'
        $r.Message | Should -Not -Match '@\{'
    }

    It 'a wrong password for the target: AuthenticationError naming -TargetCredential (Invoke-PgPhaseRestore)' {
        $null = Assert-RunbookRecord 'BadPassword' 'AuthenticationError' '-TargetCredential' 'PgPhaseRestore.ConnectionFailed'
    }

    It 'a wrong password for the target: AuthenticationError naming -TargetCredential (Test-PgPhaseRestore)' {
        $null = Assert-RunbookRecord 'BadPasswordTest' 'AuthenticationError' '-TargetCredential' 'PgPhaseRestore.ConnectionFailed'
    }

    It 'a port nothing listens on: ConnectionError naming -TargetConnection' {
        $r = Assert-RunbookRecord 'ClosedPort' 'ConnectionError' '-TargetConnection' 'PgPhaseRestore.ConnectionFailed'
        $r.Message | Should -Match "127\.0\.0\.1:$script:closedPort"
    }

    It '<Name>: <Category> naming <Parameters>, and what it is about' -ForEach @(
        @{ Name = 'an archive path that does not exist'; Case = 'MissingPath'; Category = 'ObjectNotFound'; Parameters = @('-Path'); ErrorId = 'PgPhaseRestore.ArchiveUnreachable'; About = @('no-such-folder') }
        @{ Name = 'an archive whose table data was changed, refused before anything is created (the plan''s scan found it)'; Case = 'Flipped'; Category = 'InvalidData'; Parameters = @('-Path'); ErrorId = 'PgPhaseRestore.ArchiveInvalid'; About = @('TABLE DATA', 'flipped\.dump', 'nothing was created') }
        @{ Name = 'a bucket that does not exist'; Case = 'MissingBucket'; Category = 'ObjectNotFound'; Parameters = @('-Path', '-S3Endpoint'); ErrorId = 'PgPhaseRestore.ArchiveUnreachable'; About = @('no-such-bucket-runbook') }
        @{ Name = 'a backup folder that does not exist (Get-PgBackup)'; Case = 'MissingBackupFolder'; Category = 'ObjectNotFound'; Parameters = @('-Path'); ErrorId = 'PgPhaseRestore.ArchiveUnreachable'; About = @('no-such-backups: no such folder') }
        @{ Name = 'a database name that matches none (Get-PgDatabase)'; Case = 'NoSuchDatabase'; Category = 'ObjectNotFound'; Parameters = @('-Name'); ErrorId = 'PgPhaseRestore.NameNotFound'; About = @('"runbook_nosuch"') }
        @{ Name = 'a database name with no backup (Get-PgBackup)'; Case = 'NoSuchBackup'; Category = 'ObjectNotFound'; Parameters = @('-Database'); ErrorId = 'PgPhaseRestore.NameNotFound'; About = @('"runbook_nosuch"') }
        @{ Name = 'a profile the shared files do not hold'; Case = 'MissingProfile'; Category = 'InvalidArgument'; Parameters = @('-ProfileName'); ErrorId = 'PgPhaseRestore.ArchiveUnreachable'; About = @('"no-such-profile"') }
    ) {
        $r = Assert-RunbookRecord $Case $Category $Parameters $ErrorId
        foreach ($pattern in $About) { $r.Message | Should -Match $pattern }
    }

    It 'a statement the server refuses in a phase: PhaseFailed naming -Resume, and the resumed run it recommends succeeds once the cause is gone' {
        $r = Assert-RunbookRecord 'Refused' 'WriteError' '-Resume' 'PgPhaseRestore.PhaseFailed'
        $r.Message | Should -Match 'schema "app" already exists'
        $null = Invoke-TestSql $script:svc $script:taken 'DROP SCHEMA app'
        $phases = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:taken" -TargetCredential $script:svc.Credential -NoOwner -AllowNonEmptyTarget -Resume
        $phases.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:taken" -TargetCredential $script:svc.Credential -Quiet | Should -BeTrue
    }

    It 'a copy whose restore fails: PhaseFailed giving the command that goes on from the backup it kept, which does once the cause is gone' {
        $r = Assert-RunbookRecord 'CopyRefused' 'WriteError' '-LiteralPath', '-TargetConnection', '-Resume' 'PgPhaseRestore.PhaseFailed'
        $r.Message | Should -Match 'read-only transaction'
        $null = Invoke-TestSql $script:svc 'postgres' "ALTER DATABASE $script:readOnly RESET default_transaction_read_only"
        # The command as the action gives it, with the copy's own restore parameters and the credential, as it says.
        $r.RecommendedAction -match '(Invoke-PgPhaseRestore -LiteralPath ''[^'']+'' -TargetConnection ''[^'']+'' -Resume), with the restore parameters the copy was given' |
            Should -BeTrue -Because "the action gives the command: $($r.RecommendedAction)"
        $command = $Matches[1]
        $phases = & ([scriptblock]::Create("$command -NoOwner -TargetCredential `$args[0]")) $script:svc.Credential
        @($phases.Status | ForEach-Object ToString) | Should -Not -Contain 'Failed'
        Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:readOnly" -TargetCredential $script:svc.Credential -Quiet | Should -BeTrue
    }

    It 'a target that differs from the archive: VerificationFailed naming -TargetConnection and -Path' {
        $r = Assert-RunbookRecord 'Differs' 'InvalidResult' '-TargetConnection', '-Path' 'PgPhaseRestore.VerificationFailed'
        $r.Message | Should -Match 'differ'
    }

    It 'a -Path pattern that matches nothing: ObjectNotFound naming -Path' {
        $null = Assert-RunbookRecord 'NoMatch' 'ObjectNotFound' '-Path', '-LiteralPath' 'PgPhaseRestore.PathNotFound'
    }

    It 'a file that is not an archive: InvalidData naming -Path' {
        $null = Assert-RunbookRecord 'Garbage' 'InvalidData' '-Path' 'PgPhaseRestore.ArchiveInvalid'
    }

    It 'an archive cut short: InvalidData naming -Path' {
        $null = Assert-RunbookRecord 'Cut' 'InvalidData' '-Path' 'PgPhaseRestore.ArchiveInvalid'
    }

    It 'a custom endpoint reached by virtual-hosted names that do not resolve: the error says to add -S3ForcePathStyle' {
        $r = $script:results['PathStyle']
        if ($script:bucketHostResolves) {
            # This resolver answers bucket.localhost: the request reaches the server, and no hint about path style is due.
            if ($r.Caught) { $r.Message | Should -Not -Match 'S3ForcePathStyle' }
        }
        else {
            $r = Assert-RunbookRecord 'PathStyle' 'ConnectionError' '-S3ForcePathStyle' 'PgPhaseRestore.ArchiveUnreachable'
            $r.Message | Should -Match ([regex]::Escape("$($script:svc.Bucket).localhost"))
        }
    }
}
