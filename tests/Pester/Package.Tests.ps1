# The module as users install it: ./build.ps1 -Task Package packs the built folder into a .nupkg (PSResourceGet's
# Publish-PSResource into a folder repository) and the Azure Automation zip; the package installs with
# Install-PSResource from a folder repository, imports by name in a fresh pwsh and restores against a real cluster.
# Every pwsh started here gets a HOME of its own: repositories it registers and modules it installs never reach the
# user's home.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:svc = Start-TestServices
    $script:out = Split-Path $script:ModuleFolder -Parent
    $script:isolatedHome = (New-Item -ItemType Directory (Join-Path $TestDrive 'home')).FullName
    # .NET names a user folder only once it exists (else ""; PSResourceGet would then write into the working folder).
    foreach ($folder in '.local/share', '.config', '.cache') { $null = New-Item -ItemType Directory (Join-Path $script:isolatedHome $folder) }

    # A fresh pwsh whose home (and so PSResourceGet's repository list and the CurrentUser module folder) is a temp folder.
    function Invoke-IsolatedPwsh([scriptblock] $Script, [object[]] $Arguments = @()) {
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME; XDG_CACHE_HOME = $env:XDG_CACHE_HOME; PSModulePath = $env:PSModulePath }
        try {
            $env:HOME = $script:isolatedHome
            $env:XDG_DATA_HOME = Join-Path $script:isolatedHome '.local/share'
            $env:XDG_CONFIG_HOME = Join-Path $script:isolatedHome '.config'
            $env:XDG_CACHE_HOME = Join-Path $script:isolatedHome '.cache'
            # pwsh builds its module path afresh from its own defaults under the new home.
            $env:PSModulePath = $null
            & $script:Pwsh -NoProfile -NonInteractive -Command $Script -args $Arguments 2>&1
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
    }
}

AfterAll {
    Stop-TestServices $script:svc
}

Describe 'The manifest' {
    It 'passes Test-ModuleManifest and says Windows PowerShell 5.1 is out of scope' {
        $manifest = Test-ModuleManifest $script:Manifest -ErrorAction Stop
        $manifest.Name | Should -Be 'PgPhaseRestore'
        $manifest.PowerShellVersion | Should -Be ([version]'7.4')
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.Description | Should -BeLike '*Windows PowerShell 5.1 is not supported*'
        $manifest.ReleaseNotes | Should -BeLike '*Windows PowerShell 5.1 is not supported*'
        $manifest.ExportedCmdlets.Keys | Should -HaveCount 9
    }
}

Describe './build.ps1 -Task Package' {
    BeforeAll {
        $build = Join-Path $script:RepoRoot 'build.ps1'
        $configuration = if ($env:PGPHASE_TEST_CONFIGURATION) { $env:PGPHASE_TEST_CONFIGURATION } else { 'Debug' }
        foreach ($old in Get-ChildItem $script:out -Filter 'PgPhaseRestore.*.nupkg') { Remove-Item $old.FullName }
        Remove-Item (Join-Path $script:out 'PgPhaseRestore.zip') -ErrorAction SilentlyContinue
        $script:packOutput = Invoke-IsolatedPwsh { param($build, $configuration) & $build -Task Package -Configuration $configuration } @($build, $configuration)
        $script:packExit = $LASTEXITCODE
        $script:version = (Import-PowerShellDataFile $script:Manifest).ModuleVersion
        $script:package = Join-Path $script:out "PgPhaseRestore.$script:version.nupkg"
    }

    It 'writes the .nupkg and the Azure Automation zip, and leaves no repository registered' {
        $script:packExit | Should -Be 0 -Because ($script:packOutput -join "`n")
        Test-Path $script:package | Should -BeTrue
        $zip = [System.IO.Compression.ZipFile]::OpenRead((Join-Path $script:out 'PgPhaseRestore.zip'))
        try {
            $names = $zip.Entries.FullName
        }
        finally {
            $zip.Dispose()
        }
        # Azure Automation imports a zip holding a folder named after the module.
        $names | Should -Contain 'PgPhaseRestore/PgPhaseRestore.psd1'
        $names | Should -Contain 'PgPhaseRestore/bin/PgPhaseRestore.PowerShell.dll'
        $names | Should -Contain 'PgPhaseRestore/en-US/PgPhaseRestore.PowerShell.dll-Help.xml'
        $names | Where-Object { $_ -notlike 'PgPhaseRestore/*' } | Should -BeNullOrEmpty
        $registered = Invoke-IsolatedPwsh { (Get-PSResourceRepository).Name }
        $registered | Should -Contain 'PSGallery' -Because 'the repository list is read from the temp home'
        $registered | Where-Object { $_ -like 'PgPhaseRestore-build-*' } | Should -BeNullOrEmpty
        Test-Path (Join-Path $script:isolatedHome '.local/share/PSResourceGet/PSResourceRepository.xml') | Should -BeTrue -Because 'PSResourceGet keeps its list in the temp home, not in the working folder'
    }

    It 'installs with Install-PSResource from a folder repository, imports by name in a fresh pwsh, and restores' {
        $repository = (New-Item -ItemType Directory (Join-Path $TestDrive 'repository')).FullName
        Copy-Item $script:package $repository
        $db = New-TestDatabaseName 'installed'
        $s = $script:svc
        $out = Invoke-IsolatedPwsh {
            param($repository, $name, $server, $user, $password, $archive, $db)
            $ErrorActionPreference = 'Stop'
            Register-PSResourceRepository -Name $name -Uri $repository -Trusted
            try {
                Install-PSResource -Name PgPhaseRestore -Repository $name -Scope CurrentUser -TrustRepository
            }
            finally {
                Unregister-PSResourceRepository -Name $name
            }
            $module = Get-Module -ListAvailable PgPhaseRestore
            $module.ModuleBase
            Import-Module PgPhaseRestore
            (Get-Command -Module PgPhaseRestore).Count
            $cred = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
            $results = Invoke-PgPhaseRestore -Path $archive -TargetConnection $server -TargetDatabase $db -TargetCredential $cred -CreateDatabase -NoOwner
            ($results.Status | ForEach-Object ToString) -join ','
            (Test-PgPhaseRestore -Path $archive -TargetConnection "$server dbname=$db" -TargetCredential $cred -RowCount Exact).IsMatch
        } @($repository, "PesterLocal-$([guid]::NewGuid().ToString('N').Substring(0, 8))", $s.Server, $s.User, $s.PlainPassword, $s.Archive, $db)
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $script:isolatedHome | Should -Not -BeNullOrEmpty
        $out[0] | Should -BeLike "$script:isolatedHome/.local/share/powershell/Modules/PgPhaseRestore*" -Because 'the module is installed under the temp home, nowhere else'
        $out[1] | Should -Be 9
        $out[2] | Should -Be 'Succeeded,Succeeded,Succeeded,Succeeded'
        $out[3] | Should -BeTrue
        Invoke-TestSql $s $db 'SELECT count(*) FROM app.customer' | Should -Be (Invoke-TestSql $s $s.SourceDatabase 'SELECT count(*) FROM app.customer')
    }
}
