# Pester 5 tests of the built module, run by build.ps1 in a fresh pwsh process.
# Set PGPHASE_TEST_TARGET (a libpq connection string to a server where the current user may create databases)
# and PGPHASE_TEST_ARCHIVE (a custom-format dump) to run the end-to-end restore; PGPHASE_TEST_SOURCE (a libpq
# string naming a server) to run the backup loop into a local folder.

BeforeAll {
    $modulePath = $env:PGPHASE_MODULE_PATH
    if (-not $modulePath) { $modulePath = Join-Path $PSScriptRoot '../../out/PgPhaseRestore' }
    Import-Module (Join-Path $modulePath 'PgPhaseRestore.psd1') -Force
    $script:cmdlets = @('Get-PgDatabase', 'Backup-PgDatabase', 'Get-PgBackup', 'Copy-PgDatabase',
        'Get-PgDumpToc', 'Split-PgRestorePhases', 'Invoke-PgPhaseRestore', 'Test-PgPhaseRestore', 'Switch-PgDatabase')
}

Describe 'Module' {
    It 'exports exactly the documented cmdlets' {
        (Get-Command -Module PgPhaseRestore).Name | Sort-Object | Should -Be ($script:cmdlets | Sort-Object)
    }

    It 'has help with a synopsis and an example for <_>' -ForEach @('Get-PgDatabase', 'Backup-PgDatabase', 'Get-PgBackup', 'Copy-PgDatabase', 'Get-PgDumpToc', 'Split-PgRestorePhases', 'Invoke-PgPhaseRestore', 'Test-PgPhaseRestore', 'Switch-PgDatabase') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
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

Describe 'End to end' -Skip:(-not ($env:PGPHASE_TEST_TARGET -and $env:PGPHASE_TEST_ARCHIVE)) {
    It 'plans and restores through the pipeline, and -WhatIf changes nothing' {
        $db = 'pester_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $target = "$($env:PGPHASE_TEST_TARGET) dbname=$db"
        Get-PgDumpToc $env:PGPHASE_TEST_ARCHIVE | Split-PgRestorePhases | Invoke-PgPhaseRestore -Target $target -CreateDatabase -WhatIf
        { Test-PgPhaseRestore -Path $env:PGPHASE_TEST_ARCHIVE -Target $target -ErrorAction Stop } | Should -Throw

        $results = Get-PgDumpToc $env:PGPHASE_TEST_ARCHIVE | Split-PgRestorePhases | Invoke-PgPhaseRestore -Target $target -CreateDatabase -NoOwner
        $results.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        (Test-PgPhaseRestore -Path $env:PGPHASE_TEST_ARCHIVE -Target $target).IsMatch | Should -BeTrue
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
        Get-PgDatabase -Server $env:PGPHASE_TEST_SOURCE -Name postgres | Backup-PgDatabase -Destination "$folder/" -WhatIf
        Test-Path $folder | Should -BeFalse

        $made = Get-PgDatabase -Server $env:PGPHASE_TEST_SOURCE -Name postgres | Backup-PgDatabase -Destination "$folder/"
        $made.Database | Should -Be 'postgres'
        $found = Get-PgBackup -Path $folder
        $found.Location | Should -Be $made.Location
        (Get-PgBackup -Path $folder | Get-PgDumpToc).DatabaseName | Should -Be 'postgres'
    }
}
