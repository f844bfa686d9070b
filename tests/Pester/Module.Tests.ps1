# The module as PowerShell users load it: its commands, parameters and help, and its loading in fresh processes,
# runspaces and beside other versions of its dependencies. Run by build.ps1 (-Task Pester) in a fresh pwsh.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $script:Manifest -Force
    $script:cmdlets = @('Get-PgDatabase', 'Backup-PgDatabase', 'Get-PgBackup', 'Copy-PgDatabase',
        'Get-PgDumpToc', 'Split-PgRestorePhases', 'Invoke-PgPhaseRestore', 'Test-PgPhaseRestore', 'Switch-PgDatabase')

    # A fresh pwsh: each process makes the module's load context once, so a loading test starts with none.
    function Invoke-FreshSession([scriptblock] $Script, [object[]] $Arguments = @()) {
        & $script:Pwsh -NoProfile -NonInteractive -Command $Script -args (@($script:Manifest) + $Arguments)
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

    It 'has no -Name on <_>: pgphase backup --name is a backup''s name, and the database is never chosen by mistake for it' -ForEach @('Backup-PgDatabase', 'Copy-PgDatabase') {
        (Get-Command $_).Parameters['Database'].Aliases | Should -Not -Contain 'Name'
        { & $_ -SourceConnection 'host=a dbname=app' -Path "$TestDrive/" -Name 'today' -WhatIf } | Should -Throw -ErrorId "NamedParameterNotFound,*"
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

Describe 'Loading' {
    It 'imports in a fresh pwsh by path, with every cmdlet and its help' {
        $out = Invoke-FreshSession {
            param($manifest)
            $ErrorActionPreference = 'Stop'
            Import-Module $manifest
            (Get-Command -Module PgPhaseRestore).Count
            (Get-Help Invoke-PgPhaseRestore).Synopsis.Length -gt 0
        }
        $LASTEXITCODE | Should -Be 0
        $out | Should -Be @(9, $true)
    }

    It 'loads the cmdlets and every dependency into its own load context, and only the loader into the default one' {
        $out = Invoke-FreshSession {
            param($manifest)
            Import-Module $manifest
            Get-PgDumpToc -Path (Join-Path ([IO.Path]::GetTempPath()) 'pgphase-missing.dump') -ErrorAction SilentlyContinue
            [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -match '^(PgPhaseRestore|Npgsql|AWSSDK)' } |
                ForEach-Object { '{0}={1}' -f $_.GetName().Name, [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }
        }
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'PgPhaseRestore.PowerShell.Loader=Default'
        $out | Should -Contain 'PgPhaseRestore.PowerShell=PgPhaseRestore'
        $out | Should -Contain 'PgPhaseRestore.Engine=PgPhaseRestore'
    }

    It 'reaches the engine after Remove-Module and Import-Module in one session' {
        $ids = Invoke-FreshSession {
            param($manifest)
            Import-Module $manifest
            Remove-Module PgPhaseRestore
            Import-Module $manifest
            (Get-Command -Module PgPhaseRestore).Count
            Get-PgDumpToc -Path (Join-Path ([IO.Path]::GetTempPath()) 'pgphase-missing.dump') -ErrorVariable err -ErrorAction SilentlyContinue
            $err | ForEach-Object FullyQualifiedErrorId
        }
        $LASTEXITCODE | Should -Be 0
        $ids | Should -HaveCount 2
        $ids[0] | Should -Be 9
        $ids[1] | Should -BeLike 'PgPhaseRestore.ArchiveUnreachable*'
    }

    It 'works when another copy of the same version is imported after Remove-Module, or in a runspace' {
        # An upgrade in place, a copy in another scope, or a runspace that imports from another path: one process,
        # two folders with the same cmdlet assembly.
        $copy = Join-Path ([IO.Path]::GetTempPath()) "pgphase copy $PID/PgPhaseRestore"
        New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
        Copy-Item -Path $script:ModuleFolder -Destination $copy -Recurse -Force
        try {
            $out = Invoke-FreshSession {
                param($manifest, $other)
                $missing = Join-Path ([IO.Path]::GetTempPath()) 'pgphase-missing.dump'
                Import-Module $manifest
                Remove-Module PgPhaseRestore
                # A module's own script hears the session's preference, not Import-Module's -Verbose.
                $VerbosePreference = 'Continue'
                Import-Module $other 4>&1 | ForEach-Object { "verbose: $_" }
                $VerbosePreference = 'SilentlyContinue'
                Get-PgDumpToc -Path $missing -ErrorVariable err -ErrorAction SilentlyContinue
                $err | ForEach-Object FullyQualifiedErrorId
                1..2 | ForEach-Object -Parallel {
                    Import-Module $using:other
                    Get-PgDumpToc -Path $using:missing -ErrorVariable err -ErrorAction SilentlyContinue
                    $err | ForEach-Object FullyQualifiedErrorId
                }
            } -Arguments @((Join-Path $copy 'PgPhaseRestore.psd1'))
            $LASTEXITCODE | Should -Be 0
            @($out | Where-Object { $_ -like 'verbose: PgPhaseRestore * is already loaded in this process from *' }) | Should -HaveCount 1
            $ids = @($out | Where-Object { $_ -notlike 'verbose: *' })
            $ids | Should -HaveCount 3
            $ids | ForEach-Object { $_ | Should -BeLike 'PgPhaseRestore.ArchiveUnreachable*' }
        } finally {
            Remove-Item -LiteralPath (Split-Path $copy) -Recurse -Force -ErrorAction SilentlyContinue
        }
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
