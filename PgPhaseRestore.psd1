@{
    RootModule           = 'PgPhaseRestore.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f7c38-8d55-4b0e-9d5e-7c2f3c1b9a61'
    Author               = 'PgPhaseRestore contributors'
    CompanyName          = 'PgPhaseRestore contributors'
    Copyright            = 'Copyright PgPhaseRestore contributors. Licensed under the Apache License, Version 2.0.'
    Description          = 'Per-database logical backup and four-phase restore of PostgreSQL on managed platforms: schema, empty indexes, data, then the rest; from files or S3-compatible storage. PowerShell 7.4 or later on Linux, Windows or macOS; Windows PowerShell 5.1 is not supported.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('PgPhaseRestore.format.ps1xml')
    CmdletsToExport      = @(
        'Get-PgDatabase'
        'Backup-PgDatabase'
        'Get-PgBackup'
        'Copy-PgDatabase'
        'Get-PgDumpToc'
        'Split-PgRestorePhases'
        'Invoke-PgPhaseRestore'
        'Test-PgPhaseRestore'
        'Switch-PgDatabase'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('PostgreSQL', 'pg_dump', 'pg_restore', 'Backup', 'Restore', 'S3', 'RDS', 'Azure', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ProjectUri   = 'https://github.com/pgphaserestore/PgPhaseRestore'
            ReleaseNotes = 'Needs PowerShell 7.4 or later (Core edition); Windows PowerShell 5.1 is not supported. Archive reader, four-phase planner and restore, verification; backups streamed to S3-compatible storage with manifests, restores streamed back, database listing and copy; targeted rollback (restore beside a live database, verify, swap names, undo).'
        }
    }
}
