# Pester 5 tests of the built module, run by build.ps1 (-Task Test or Pester) in a fresh pwsh process.
# Set PGPHASE_TEST_TARGET (a libpq connection string to a server where the current user may create databases)
# and PGPHASE_TEST_ARCHIVE (a custom-format dump) to run the end-to-end and parallel restores; PGPHASE_TEST_SOURCE
# (a libpq string naming a server) to run the backup loop into a local folder.

BeforeAll {
    $modulePath = $env:PGPHASE_MODULE_PATH
    if (-not $modulePath) { $modulePath = Join-Path $PSScriptRoot '../../out/PgPhaseRestore' }
    # Absolute: runspaces of ForEach-Object -Parallel and child processes import it from their own locations.
    $script:manifest = (Resolve-Path (Join-Path $modulePath 'PgPhaseRestore.psd1')).Path
    Import-Module $script:manifest -Force
    $script:cmdlets = @('Get-PgDatabase', 'Backup-PgDatabase', 'Get-PgBackup', 'Copy-PgDatabase',
        'Get-PgDumpToc', 'Split-PgRestorePhases', 'Invoke-PgPhaseRestore', 'Test-PgPhaseRestore', 'Switch-PgDatabase')
    $script:pwsh = (Get-Process -Id $PID).Path

    # A fresh pwsh: the engine is resolved once per process, so a lifecycle test must start with none loaded.
    function Invoke-FreshSession([scriptblock] $Script) {
        & $script:pwsh -NoProfile -NonInteractive -Command $Script -args $script:manifest
    }
}

Describe 'Module' {
    It 'exports exactly the documented cmdlets' {
        (Get-Command -Module PgPhaseRestore).Name | Sort-Object | Should -Be ($script:cmdlets | Sort-Object)
    }

    It 'has help with a synopsis and an example for <_>' -ForEach @('Get-PgDatabase', 'Backup-PgDatabase', 'Get-PgBackup', 'Copy-PgDatabase', 'Get-PgDumpToc', 'Split-PgRestorePhases', 'Invoke-PgPhaseRestore', 'Test-PgPhaseRestore', 'Switch-PgDatabase') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Examples.Example | Should -Not -BeNullOrEmpty
    }

    It 'has help as Get-Command binds <_>: one syntax per parameter set, switches without a value, INPUTS and a whole-sentence synopsis' -ForEach @('Get-PgDatabase', 'Backup-PgDatabase', 'Get-PgBackup', 'Copy-PgDatabase', 'Get-PgDumpToc', 'Split-PgRestorePhases', 'Invoke-PgPhaseRestore', 'Test-PgPhaseRestore', 'Switch-PgDatabase') {
        $help = Get-Help $_ -Full
        $sets = @((Get-Command $_).ParameterSets | Sort-Object { -not $_.IsDefault }, Name)
        $items = @($help.syntax.syntaxItem)
        $items.Count | Should -Be $sets.Count
        for ($i = 0; $i -lt $sets.Count; $i++) {
            $mandatory = @($sets[$i].Parameters | Where-Object IsMandatory | ForEach-Object Name | Sort-Object)
            @($items[$i].parameter | Where-Object required -EQ 'true' | ForEach-Object name | Sort-Object) | Should -Be $mandatory
        }
        ($help.syntax | Out-String -Width 1000) | Should -Not -Match 'SwitchParameter|Nullable'
        $help.Synopsis | Should -Match '\.$'
        @($help.inputTypes.inputType.type.name) | Should -Not -BeNullOrEmpty
        @($help.returnValues.returnValue.type.name | Sort-Object) | Should -Be @((Get-Command $_).OutputType.Name | Sort-Object)
    }
}

Describe 'Parameter names' {
    It 'names each credential after its endpoint on <Command>' -ForEach @(
        @{ Command = 'Backup-PgDatabase'; Credentials = @('S3Credential', 'SourceCredential') }
        @{ Command = 'Copy-PgDatabase'; Credentials = @('S3Credential', 'SourceCredential', 'TargetCredential') }
        @{ Command = 'Invoke-PgPhaseRestore'; Credentials = @('S3Credential', 'TargetCredential') }
        @{ Command = 'Test-PgPhaseRestore'; Credentials = @('S3Credential', 'SourceCredential', 'TargetCredential') }
        @{ Command = 'Get-PgDatabase'; Credentials = @('ServerCredential') }
        @{ Command = 'Switch-PgDatabase'; Credentials = @('ServerCredential') }
    ) {
        $parameters = (Get-Command $Command).Parameters.Values
        (($parameters | Where-Object { $_.ParameterType -eq [pscredential] }).Name | Sort-Object) -join ',' | Should -Be ($Credentials -join ',')
    }

    It 'keeps -Credential only where one database is reached' {
        (Get-Command Invoke-PgPhaseRestore).Parameters['TargetCredential'].Aliases | Should -Contain 'Credential'
        (Get-Command Backup-PgDatabase).Parameters['SourceCredential'].Aliases | Should -Contain 'Credential'
        (Get-Command Copy-PgDatabase).ResolveParameter('SourceCredential').Aliases | Should -Not -Contain 'Credential'
        { Copy-PgDatabase -SourceConnection 'host=a' -Path $TestDrive -TargetConnection 'host=b' -Credential ([pscredential]::Empty) -WhatIf } |
            Should -Throw -ErrorId 'NamedParameterNotFound,PgPhaseRestore.PowerShell.Cmdlets.CopyPgDatabaseCommand'
    }

    It 'takes archives as -Path on <_>' -ForEach @('Get-PgDumpToc', 'Split-PgRestorePhases', 'Invoke-PgPhaseRestore', 'Test-PgPhaseRestore', 'Get-PgBackup', 'Backup-PgDatabase', 'Copy-PgDatabase') {
        (Get-Command $_).Parameters.Keys | Should -Contain 'Path'
    }

    It 'binds the earlier names where they stay unambiguous' {
        (Get-Command Invoke-PgPhaseRestore).ResolveParameter('Target').Name | Should -Be 'TargetConnection'
        (Get-Command Backup-PgDatabase).ResolveParameter('Source').Name | Should -Be 'SourceConnection'
        (Get-Command Backup-PgDatabase).ResolveParameter('Destination').Name | Should -Be 'Path'
        (Get-Command Get-PgDatabase).ResolveParameter('Server').Name | Should -Be 'ServerConnection'
        (Get-Command Get-PgBackup).ResolveParameter('S3Region').Name | Should -Be 'Region'
    }
}

Describe 'S3 credentials' {
    BeforeAll {
        $script:secret = ConvertTo-SecureString 'not-a-real-secret' -AsPlainText -Force
    }

    It 'accepts -AccessKey with -SecretKey, and -ProfileName, for a local folder' {
        Get-PgBackup -Path $TestDrive -AccessKey AKIAEXAMPLE -SecretKey $script:secret -Region eu-west-1 | Should -BeNullOrEmpty
        Get-PgBackup -Path $TestDrive -ProfileName nightly | Should -BeNullOrEmpty
    }

    It 'refuses <Name> before the first record, as an invalid argument' -ForEach @(
        @{ Name = 'keys twice'; Arguments = @{ AccessKey = 'AKIAEXAMPLE'; SecretKey = 'secret'; S3Credential = 'credential' } }
        @{ Name = 'an access key alone'; Arguments = @{ AccessKey = 'AKIAEXAMPLE' } }
        @{ Name = 'a session token without keys'; Arguments = @{ SessionToken = 'secret' } }
        @{ Name = 'a profile and keys'; Arguments = @{ ProfileName = 'nightly'; AccessKey = 'AKIAEXAMPLE'; SecretKey = 'secret' } }
    ) {
        $splat = @{}
        foreach ($key in $Arguments.Keys) {
            $splat[$key] = switch ($Arguments[$key]) {
                'secret' { $script:secret }
                'credential' { [pscredential]::new('AKIAEXAMPLE', $script:secret) }
                default { $_ }
            }
        }
        $err = { Get-PgBackup -Path $TestDrive @splat } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.InvalidArgument*'
    }
}

Describe 'Get-PgDumpToc' {
    It 'reports a missing file as a non-terminating error with a stable id' {
        $err = $null
        Get-PgDumpToc -Path (Join-Path $TestDrive 'missing.dump') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.ArchiveUnreachable*'
    }

    It 'reports a file that is not an archive as invalid data' {
        $path = Join-Path $TestDrive 'plain.sql'
        Set-Content $path 'SELECT 1;'
        $err = $null
        Get-PgDumpToc $path -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }
}

Describe 'Module lifecycle' {
    It 'reaches the engine after Remove-Module and Import-Module in one session' {
        $ids = Invoke-FreshSession {
            param($manifest)
            Import-Module $manifest
            Remove-Module PgPhaseRestore
            Import-Module $manifest
            Get-PgDumpToc -Path (Join-Path ([IO.Path]::GetTempPath()) 'pgphase-missing.dump') -ErrorVariable err -ErrorAction SilentlyContinue
            $err | ForEach-Object FullyQualifiedErrorId
        }
        $LASTEXITCODE | Should -Be 0
        $ids | Should -HaveCount 1
        $ids[0] | Should -BeLike 'PgPhaseRestore.ArchiveUnreachable*'
    }

    It 'imports in many runspaces at once, each removing it when done' {
        $ids = Invoke-FreshSession {
            param($manifest)
            1..8 | ForEach-Object -Parallel {
                Import-Module $using:manifest
                Get-PgDumpToc -Path (Join-Path ([IO.Path]::GetTempPath()) "pgphase-missing-$_.dump") -ErrorVariable err -ErrorAction SilentlyContinue
                $err | ForEach-Object FullyQualifiedErrorId
                Remove-Module PgPhaseRestore
            } -ThrottleLimit 4
            # The session's own import after all of that.
            Import-Module $manifest
            Get-PgDumpToc -Path (Join-Path ([IO.Path]::GetTempPath()) 'pgphase-missing.dump') -ErrorVariable err -ErrorAction SilentlyContinue
            $err | ForEach-Object FullyQualifiedErrorId
        }
        $LASTEXITCODE | Should -Be 0
        $ids | Should -HaveCount 9
        $ids | ForEach-Object { $_ | Should -BeLike 'PgPhaseRestore.ArchiveUnreachable*' }
    }
}

Describe 'End to end' -Skip:(-not ($env:PGPHASE_TEST_TARGET -and $env:PGPHASE_TEST_ARCHIVE)) {
    It 'plans and restores through the pipeline, and -WhatIf changes nothing' {
        $db = 'pester_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $target = "$($env:PGPHASE_TEST_TARGET) dbname=$db"
        Get-PgDumpToc $env:PGPHASE_TEST_ARCHIVE | Split-PgRestorePhases | Invoke-PgPhaseRestore -TargetConnection $target -CreateDatabase -WhatIf
        { Test-PgPhaseRestore -Path $env:PGPHASE_TEST_ARCHIVE -TargetConnection $target -ErrorAction Stop } | Should -Throw

        $results = Get-PgDumpToc $env:PGPHASE_TEST_ARCHIVE | Split-PgRestorePhases | Invoke-PgPhaseRestore -TargetConnection $target -CreateDatabase -NoOwner
        $results.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        (Test-PgPhaseRestore -Path $env:PGPHASE_TEST_ARCHIVE -TargetConnection $target).IsMatch | Should -BeTrue
    }

    It 'restores an archive object piped from Get-PgDumpToc into a database named by -TargetDatabase' {
        $db = 'pester_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $results = Get-PgDumpToc $env:PGPHASE_TEST_ARCHIVE | Invoke-PgPhaseRestore -TargetConnection $env:PGPHASE_TEST_TARGET -TargetDatabase $db -CreateDatabase -NoOwner
        $results.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        (Test-PgPhaseRestore -Path $env:PGPHASE_TEST_ARCHIVE -TargetConnection "$($env:PGPHASE_TEST_TARGET) dbname=$db").IsMatch | Should -BeTrue
    }

    It 'words a failure with the parameters that answer it, in RecommendedAction' {
        $db = 'pester_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-PgPhaseRestore -Path $env:PGPHASE_TEST_ARCHIVE -TargetConnection $env:PGPHASE_TEST_TARGET -TargetDatabase $db -NoOwner -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].ErrorDetails.RecommendedAction | Should -Match '-CreateDatabase'
        $err[0].ErrorDetails.Message | Should -Not -Match '--create'
    }

    It 'restores four databases at once with ForEach-Object -Parallel -ThrottleLimit 4' {
        $run = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $outcomes = 1..4 | ForEach-Object -Parallel {
            Import-Module $using:manifest
            # Environment variables belong to the process, so every runspace sees them.
            $target = $env:PGPHASE_TEST_TARGET
            $archive = $env:PGPHASE_TEST_ARCHIVE
            $db = "pester_$($using:run)_$_"
            $phases = Invoke-PgPhaseRestore -Path $archive -TargetConnection $target -TargetDatabase $db -CreateDatabase -NoOwner
            [pscustomobject]@{
                Database = $db
                Status   = @($phases.Status | ForEach-Object ToString)
                IsMatch  = (Test-PgPhaseRestore -Path $archive -TargetConnection "$target dbname=$db").IsMatch
            }
        } -ThrottleLimit 4
        $outcomes | Should -HaveCount 4
        ($outcomes.Database | Sort-Object -Unique) | Should -HaveCount 4
        foreach ($outcome in $outcomes) {
            $outcome.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded') -Because $outcome.Database
            $outcome.IsMatch | Should -BeTrue -Because $outcome.Database
        }
    }
}

Describe 'Get-PgBackup' {
    It 'lists nothing in a folder without manifests' {
        Get-PgBackup -Path $TestDrive | Should -BeNullOrEmpty
    }
}

Describe 'Backup loop' -Skip:(-not $env:PGPHASE_TEST_SOURCE) {
    It 'backs up each database to its own file, -WhatIf writes nothing, and Get-PgBackup finds them newest first' {
        $folder = Join-Path $TestDrive 'backups'
        Get-PgDatabase -ServerConnection $env:PGPHASE_TEST_SOURCE -Name postgres | Backup-PgDatabase -Path "$folder/" -WhatIf
        Test-Path $folder | Should -BeFalse

        $made = Get-PgDatabase -ServerConnection $env:PGPHASE_TEST_SOURCE -Name postgres | Backup-PgDatabase -Path "$folder/"
        $made.Database | Should -Be 'postgres'
        $found = Get-PgBackup -Path $folder
        $found.Location | Should -Be $made.Location
        (Get-PgBackup -Path $folder | Get-PgDumpToc).DatabaseName | Should -Be 'postgres'
    }
}
