# Every example a user can copy runs as written: each cmdlet's help examples (Get-Help <cmdlet> -Examples) and every
# PowerShell block of README.md, taken from the help and the README themselves, run against a real cluster, a second
# cluster and s3rver, and their outcome is read back from the servers. Each example is in the table below, with what
# it needs before it runs and what it must leave behind, or with the reason it cannot run here; an example that is in
# neither fails the suite, and so does a table entry that names no example.
#
# What is swapped in, and nothing else:
#   host=db.example.com, host=prod.example.com       -> the test cluster (it accepts TLS, so sslmode=require stays)
#   host=new.example.com, dev..., staging...         -> a second cluster, with the same user and password
#   $cred, $src, $dst, Get-Credential,               -> the clusters' credential (the S3 one when the name asked for
#   Get-AutomationPSCredential (a stub of that name)    is the access key, or the asset is s3-*)
#   s3://backups/                                    -> the test bucket, under a prefix of the example's own
#   https://minio.example.com, AKIAEXAMPLE, $accessKey, $secretKey, Read-Host -AsSecureString -> s3rver and its keys
#   the environment (S3_ENDPOINT_URL, AWS_S3_FORCE_PATH_STYLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
#   and a shared credentials file with the profile "backups")   -> s3rver, as an operator's machine points at AWS
#   ./nightly.dump, ./dumps/*.dump, /backups/app/nightly.dump -> the test archive, in the example's working folder
#   PG* variables (for a connection string without host) -> the test cluster, for the examples that say so below
#   Import-Module PgPhaseRestore                     -> finds the built module: its folder's parent is on PSModulePath

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $script:Manifest -Force
    $examples = [System.Collections.Generic.List[hashtable]]::new()
    foreach ($command in Get-Command -Module PgPhaseRestore | Sort-Object Name) {
        $n = 0
        foreach ($example in (Get-Help $command.Name -Examples).Examples.Example) {
            $n++
            $examples.Add(@{ Id = "$($command.Name) example $n"; Code = ($example.Code -join "`n").Trim() })
        }
    }
    $readme = Get-Content -Raw (Join-Path $script:RepoRoot 'README.md')
    $n = 0
    foreach ($block in [regex]::Matches($readme, '```powershell\n(.*?)```', 'Singleline')) {
        $n++
        $examples.Add(@{ Id = "README block $n"; Code = $block.Groups[1].Value.Trim() })
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $script:Manifest -Force
    $script:svc = Start-TestServices -Ssl -SecondServer
    $script:pgCred = $script:svc.Credential
    $script:s3Key = $script:svc.S3Credential.UserName
    $script:work = (New-Item -ItemType Directory (Join-Path $TestDrive 'examples')).FullName

    # Import-Module PgPhaseRestore by name finds the module under test, in this process and its runspaces.
    $script:savedEnv = @{}
    function Set-TestEnvironment([hashtable] $Values) {
        foreach ($name in $Values.Keys) {
            if (-not $script:savedEnv.ContainsKey($name)) { $script:savedEnv[$name] = [Environment]::GetEnvironmentVariable($name) }
            [Environment]::SetEnvironmentVariable($name, $Values[$name])
        }
    }
    $credentials = Join-Path $script:work 'aws-credentials'
    Set-Content $credentials @('[backups]', "aws_access_key_id = $script:s3Key", "aws_secret_access_key = $($script:svc.S3SecretKey)")
    Set-TestEnvironment @{
        PSModulePath                = (Split-Path $script:ModuleFolder -Parent) + [IO.Path]::PathSeparator + $env:PSModulePath
        S3_ENDPOINT_URL             = $script:svc.S3Endpoint
        AWS_S3_FORCE_PATH_STYLE     = 'true'
        AWS_ACCESS_KEY_ID           = $script:s3Key
        AWS_SECRET_ACCESS_KEY       = $script:svc.S3SecretKey
        AWS_REGION                  = 'us-east-1'
        AWS_SHARED_CREDENTIALS_FILE = $credentials
    }

    # The stubs an example's prompts and Azure Automation assets resolve to.
    function Get-Credential([string] $UserName) { if ($UserName -eq $script:s3Key) { $script:svc.S3Credential } else { $script:pgCred } }
    function Get-AutomationPSCredential([string] $Name) { if ($Name -like 's3-*') { $script:svc.S3Credential } else { $script:pgCred } }
    function Read-Host([string] $Prompt, [switch] $AsSecureString) { $script:svc.S3Credential.Password }

    function Convert-Example([string] $Code, [string] $Prefix) {
        $first = $script:svc.Server
        $second = $script:svc.SecondServer
        $Code = $Code -replace 'host=(db|prod)\.example\.com', $first -replace 'host=(new|dev|staging)\.example\.com', $second
        $Code = $Code.Replace('s3://backups/', "s3://$($script:svc.Bucket)/$Prefix/").Replace('https://minio.example.com', $script:svc.S3Endpoint)
        $Code.Replace('AKIAEXAMPLE', $script:s3Key).Replace('/backups/app/nightly.dump', (Join-Path $script:current 'nightly.dump'))
    }

    function Invoke-Sql([string] $Database, [string] $Sql, [switch] $Second) {
        $port = if ($Second) { $script:svc.SecondPort } else { $script:svc.Port }
        Invoke-TestSql $script:svc $Database $Sql -Port $port
    }

    # Each example starts from servers that hold only the test's source database.
    function Reset-Servers {
        foreach ($second in $false, $true) {
            $names = Invoke-Sql 'postgres' "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname NOT IN ('postgres', '$($script:svc.SourceDatabase)')" -Second:$second
            foreach ($name in $names) { Invoke-Sql 'postgres' "DROP DATABASE `"$name`" WITH (FORCE)" -Second:$second | Out-Null }
        }
    }

    # What the examples' own names stand for: app is the source database, app_copy a restored copy of it.
    function New-App([string] $Name = 'app') { Invoke-Sql 'postgres' "CREATE DATABASE `"$Name`" TEMPLATE `"$($script:svc.SourceDatabase)`"" | Out-Null }
    function New-Marked([string] $Name, [string] $Marker) {
        Invoke-Sql 'postgres' "CREATE DATABASE `"$Name`"" | Out-Null
        Invoke-Sql $Name "CREATE TABLE marker (what text); INSERT INTO marker VALUES ('$Marker')" | Out-Null
    }
    function New-Restored([string] $Name, [int[]] $Phase = @()) {
        $null = Invoke-PgPhaseRestore -Path (Join-Path $script:current 'nightly.dump') -TargetConnection $script:svc.Server -TargetDatabase $Name -TargetCredential $script:pgCred -CreateDatabase -NoOwner -Phase $Phase
    }
    function Get-Rows([string] $Database, [string] $Table = 'app.customer', [switch] $Second) { [int](Invoke-Sql $Database "SELECT count(*) FROM $Table" -Second:$Second) }
    function Get-Marker([string] $Database) { Invoke-Sql $Database 'SELECT what FROM marker' }
    function Get-Databases([string] $Like, [switch] $Second) { Invoke-Sql 'postgres' "SELECT datname FROM pg_database WHERE datname LIKE '$Like' ORDER BY 1" -Second:$Second }
    function Get-BucketBackups([string] $Prefix) { Get-PgBackup -Path "s3://$($script:svc.Bucket)/$Prefix/" }
    $script:sourceRows = Get-Rows $script:svc.SourceDatabase

    # Every example, by a piece of its text: what it needs first (Setup), what it must leave (Check), or why not here.
    $script:table = @(
        @{ Match = "-ServerCredential (Get-Credential)"; Check = { param($out) $out.Name | Should -Contain $script:svc.SourceDatabase } }
        @{ Match = "-Exclude 'rdsadmin','postgres' | Backup-PgDatabase"; Check = {
                $found = Get-BucketBackups "$script:prefix/nightly"
                $found.Database | Should -Contain $script:svc.SourceDatabase
                $found.Database | Should -Not -Contain 'postgres' } }
        @{ Match = "-Path 's3://backups/app/2026-11-21.dump' -Region eu-west-1"; Setup = { New-App }; Check = {
                (Get-BucketBackups "$script:prefix/app").Location | Should -Be "s3://$($script:svc.Bucket)/$script:prefix/app/2026-11-21.dump" } }
        @{ Match = "-Path ./backups/app -Format Directory -DumpJobs 4"; Setup = { New-App }; Check = { Test-Path ./backups/app/toc.dat | Should -BeTrue } }
        @{ Match = "-S3Endpoint 'https://minio.example.com' -S3ForcePathStyle -AccessKey $accessKey"; Setup = { New-App }; Check = {
                (Get-BucketBackups "$script:prefix/nightly").Database | Should -Contain 'app' } }
        @{ Match = "-Path 's3://backups/moves/' -TargetConnection 'host=new.example.com' -TargetDatabase app"; Setup = { New-App }; Check = {
                Get-Rows 'app' -Second | Should -Be $script:sourceRows } }
        @{ Match = "-Name 'shop_*' | Copy-PgDatabase"; Setup = { New-App 'shop_east'; New-App 'shop_west' }; Check = {
                Get-Databases 'shop_%' -Second | Should -Be @('shop_east', 'shop_west')
                Get-Rows 'shop_west' -Second | Should -Be $script:sourceRows } }
        @{ Match = "-IncludeTable shop.products"; Setup = {
                New-App
                Invoke-Sql 'app' 'CREATE SCHEMA shop; CREATE TABLE shop.products (id int PRIMARY KEY, name text); INSERT INTO shop.products SELECT g, ''p'' || g FROM generate_series(1, 25) g' | Out-Null }; Check = {
                Get-Rows 'app_products' 'shop.products' -Second | Should -Be 25
                Invoke-Sql 'app_products' "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'" -Second | Should -Be '0' } }
        @{ Match = "Get-PgBackup -Path 's3://backups/nightly/' -Latest"; Whole = $true; Setup = {
                $null = Backup-PgDatabase -SourceConnection "$($script:svc.Server) dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:pgCred -Path "s3://$($script:svc.Bucket)/$script:prefix/nightly/" }; Check = {
                param($out) $out.Database | Should -Be $script:svc.SourceDatabase } }
        @{ Match = "Get-PgBackup -Path ./backups -Database app | Select-Object -First 1"; Setup = {
                New-App
                $null = Backup-PgDatabase -SourceConnection "$($script:svc.Server) dbname=app" -SourceCredential $script:pgCred -Path ./backups/ }; Check = {
                Get-Rows 'app' -Second | Should -Be $script:sourceRows } }
        @{ Match = "Get-PgBackup -Path ./backups -Database 'app_*' -Latest"; Setup = {
                foreach ($name in 'app_one', 'app_two', 'other') {
                    New-App $name
                    $null = Backup-PgDatabase -SourceConnection "$($script:svc.Server) dbname=$name" -SourceCredential $script:pgCred -Path ./backups/
                } }; Check = { param($out) @($out.Database | Sort-Object) | Should -Be @('app_one', 'app_two') } }
        @{ Match = 'Get-PgDumpToc ./nightly.dump'; Whole = $true; Check = { param($out) $out.Entries.Count | Should -BeGreaterThan 10 } }
        @{ Match = "Get-PgDumpToc 's3://backups/app/nightly.dump' -ExpandEntries"; Setup = {
                $null = Backup-PgDatabase -SourceConnection "$($script:svc.Server) dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:pgCred -Path "s3://$($script:svc.Bucket)/$script:prefix/app/nightly.dump" }; Check = {
                param($out) $out.Count | Should -BeGreaterThan 3
                $out.Type | Sort-Object -Unique | Should -Be 'INDEX' } }
        @{ Match = 'Get-PgDumpToc ./nightly.dump -List'; Whole = $true; Check = { param($out) @($out -match '^\d+; \d+ \d+ TABLE DATA app customer ') | Should -HaveCount 1 } }
        @{ Match = 'Get-PgDumpToc ./nightly.dump | Split-PgRestorePhases -ListDirectory ./lists'; Whole = $true; Check = { (Get-ChildItem ./lists -Filter *.list).Count | Should -Be 4 } }
        @{ Match = 'Split-PgRestorePhases -Path ./nightly.dump -Strategy Standard'; Check = { param($out) @($out.Strategy | ForEach-Object ToString | Sort-Object -Unique) | Should -Be 'Standard' } }
        @{ Match = "Get-PgDumpToc ./nightly.dump | Split-PgRestorePhases | Invoke-PgPhaseRestore -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential `$cred -CreateDatabase -NoOwner"; Whole = $true; Check = {
                Get-Rows 'app_copy' | Should -Be $script:sourceRows } }
        @{ Match = "Split-PgRestorePhases -Path ./nightly.dump | Invoke-PgPhaseRestore -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential `$cred -Resume"; Whole = $true; Setup = { New-Restored 'app_copy' -Phase 1, 2 }; Check = { Get-Rows 'app_copy' | Should -Be $script:sourceRows } }
        @{ Match = '-Phase 3 -WhatIf'; Setup = { New-Restored 'app_copy' -Phase 1, 2 }; Check = { Get-Rows 'app_copy' | Should -Be 0 } }
        @{ Match = "Get-ChildItem ./dumps/*.dump | ForEach-Object -Parallel { Import-Module"; Check = {
                Get-Databases '%_restored' | Should -Be @('east_restored', 'west_restored')
                Get-Rows 'west_restored' | Should -Be $script:sourceRows } }
        @{ Match = "Invoke-PgPhaseRestore -Path ./nightly.dump -TargetConnection 'host=db.example.com dbname=app' -TargetCredential `$cred -NoOwner -ReplaceDatabase"; Setup = { New-Marked 'app' 'live' }; Check = {
                Get-Rows 'app' | Should -Be $script:sourceRows
                Get-Marker (Get-Databases 'app__before_%') | Should -Be 'live' } }
        @{ Match = '-ListFile ./lists/phase-3-data.list'; Setup = {
                New-Restored 'app_copy' -Phase 1, 2
                $null = Split-PgRestorePhases -Path ./nightly.dump -ListDirectory ./lists
                (Get-Content ./lists/phase-3-data.list) -notmatch 'TABLE DATA app booking ' | Set-Content ./lists/phase-3-data.list }; Check = {
                Get-Rows 'app_copy' | Should -Be $script:sourceRows
                Get-Rows 'app_copy' 'app.booking' | Should -Be 0 } }
        @{ Match = '-Replacement app__pgphase_20250101120000 -Force -Confirm:$false'; Setup = { New-Marked 'app' 'old'; New-Marked 'app__pgphase_20250101120000' 'new' }; Check = {
                Get-Marker 'app' | Should -Be 'new' } }
        @{ Match = '-Replacement app_fixed -WhatIf'; Setup = { New-Marked 'app' 'old'; New-Marked 'app_fixed' 'new' }; Check = { Get-Marker 'app' | Should -Be 'old' } }
        @{ Match = "Switch-PgDatabase -ServerConnection 'host=db.example.com' -ServerCredential `$cred -Database app -Undo -Confirm:`$false"; Whole = $true; Setup = {
                New-Marked 'app' 'old'; New-Marked 'app_fixed' 'new'
                $null = Switch-PgDatabase -ServerConnection $script:svc.Server -ServerCredential $script:pgCred -Database app -Replacement app_fixed -Confirm:$false }; Check = {
                Get-Marker 'app' | Should -Be 'old'
                Get-Marker 'app_fixed' | Should -Be 'new' } }
        @{ Match = "Test-PgPhaseRestore -Path ./nightly.dump -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential `$cred"; Whole = $true; Setup = { New-Restored 'app_copy' }; Check = {
                param($out) $out.IsMatch | Should -BeTrue } }
        @{ Match = "-TargetCredential `$cred -Quiet)) { throw"; Setup = { New-Restored 'app_copy' }; Check = {
                param($out) $out | Should -BeNullOrEmpty -Because 'a matching target returns $true, and the condition throws nothing' } }
        @{ Match = "-TargetConnection 'dbname=app_copy' -SourceConnection"; Libpq = $true; Setup = { New-App; New-Restored 'app_copy' }; Check = {
                param($out) $out.IsMatch | Should -BeTrue
                $out.RowCounts | Should -Be 'Exact' } }
        @{ Match = 'Install-PSResource -Name PgPhaseRestore -Repository PSGallery'; NotRunnable = 'installs from PSGallery, which this machine cannot reach; Package.Tests.ps1 installs the same package with Install-PSResource from a folder repository and imports it by name' }
        @{ Match = './build.ps1 -Task Build, Package'; NotRunnable = 'rebuilds out/, the module folder this suite is testing; the CI and Package.Tests.ps1 run these tasks' }
        @{ Match = 'Get-PgDumpToc ./nightly.dump -List > nightly.list'; Setup = { New-App }; Check = {
                param($out) $out[-1].IsMatch | Should -BeTrue
                Get-Rows 'app_copy' | Should -Be $script:sourceRows
                Get-Rows 'app_steps' | Should -Be $script:sourceRows
                Test-Path ./nightly.list | Should -BeTrue } }
        @{ Match = "Get-ChildItem ./dumps/*.dump | ForEach-Object -Parallel {`n"; Check = {
                Get-Databases '%_restored' | Should -Be @('east_restored', 'west_restored')
                Get-Rows 'east_restored' | Should -Be $script:sourceRows } }
        @{ Match = "`$s3 = Get-Credential AKIAEXAMPLE"; Fresh = $true; Setup = { New-App }; Check = {
                (Get-BucketBackups "$script:prefix/app").Location | Should -BeLike "*/app/today.dump"
                Get-Rows "$($script:svc.SourceDatabase)_restored" -Second | Should -Be $script:sourceRows
                Get-Rows 'app' -Second | Should -Be $script:sourceRows } }
        @{ Match = "Get-AutomationPSCredential -Name 'pg-restorer'"; Check = { Get-Rows 'app_copy' | Should -Be $script:sourceRows } }
        @{ Match = "Get-AutomationPSCredential -Name 's3-backup'"; Check = {
                (Get-BucketBackups "$script:prefix/nightly").Database | Should -Contain $script:svc.SourceDatabase } }
        @{ Match = "`$cred = Get-Credential app_owner"; Setup = { New-Marked 'app' 'live'; New-Marked 'app_fixed' 'fixed' }; Check = {
                Get-Marker 'app' | Should -Be 'fixed'
                (Get-Databases 'app__before_%').Count | Should -BeGreaterThan 0 } }
    )

    # An example that reads the environment as a process starts (a shared credentials file the AWS SDK looks up once)
    # runs in a fresh pwsh: the same stubs and variables, the module found by name, a failure as a non-zero exit.
    function Invoke-FreshExample([string] $Code) {
        $quote = { param($text) "'" + $text.Replace("'", "''") + "'" }
        $prelude = @(
            "`$ErrorActionPreference = 'Stop'"
            "Set-Location $(& $quote $script:current)"
            "`$pgCred = [pscredential]::new($(& $quote $script:svc.User), (ConvertTo-SecureString $(& $quote $script:svc.PlainPassword) -AsPlainText -Force))"
            "`$s3Cred = [pscredential]::new($(& $quote $script:s3Key), (ConvertTo-SecureString $(& $quote $script:svc.S3SecretKey) -AsPlainText -Force))"
            "function Get-Credential([string] `$UserName) { if (`$UserName -eq `$s3Cred.UserName) { `$s3Cred } else { `$pgCred } }"
            "function Get-AutomationPSCredential([string] `$Name) { if (`$Name -like 's3-*') { `$s3Cred } else { `$pgCred } }"
            "function Read-Host([string] `$Prompt, [switch] `$AsSecureString) { `$s3Cred.Password }"
            "`$cred = `$src = `$dst = `$pgCred; `$accessKey = `$s3Cred.UserName; `$secretKey = `$s3Cred.Password"
        )
        $file = Join-Path $script:current 'example.ps1'
        Set-Content $file (($prelude + $Code) -join "`n")
        $out = & $script:Pwsh -NoProfile -NonInteractive -File $file 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out
    }

    # An entry names the examples that hold its text, or (Whole) the one that is exactly its text.
    function Find-Entry([string] $Code) { @($script:table | Where-Object { if ($_.Whole) { $Code -ceq $_.Match } else { $Code.Contains($_.Match) } }) }
}

AfterAll {
    foreach ($name in $script:savedEnv.Keys) { [Environment]::SetEnvironmentVariable($name, $script:savedEnv[$name]) }
    Stop-TestServices $script:svc
}

Describe 'The examples table' {
    It 'names each example exactly once, and every entry names an example' -ForEach @(@{ Examples = $examples }) {
        $Examples.Count | Should -BeGreaterThan 30
        foreach ($example in $Examples) {
            $entries = Find-Entry $example.Code
            $entries | Should -HaveCount 1 -Because "$($example.Id) must have one entry in the table, with its setup and check or the reason it cannot run:`n$($example.Code)"
        }
        foreach ($entry in $script:table) {
            @($Examples | Where-Object { @(Find-Entry $_.Code) -contains $entry }) | Should -Not -BeNullOrEmpty -Because "the entry '$($entry.Match)' names no example"
        }
    }
}

Describe 'Every example runs as written' {
    It '<Id>' -ForEach $examples {
        $entry = @(Find-Entry $Code)
        $entry | Should -HaveCount 1
        $entry = $entry[0]
        # Parsed by PowerShell as it is, whether it runs here or not.
        $tokens = $parseErrors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $parseErrors)
        $parseErrors | Should -BeNullOrEmpty
        if ($entry.NotRunnable) {
            $entry.NotRunnable | Should -Not -BeNullOrEmpty
            return
        }

        Reset-Servers
        $script:prefix = 'ex' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:current = (New-Item -ItemType Directory (Join-Path $script:work $script:prefix)).FullName
        Copy-Item $script:svc.Archive (Join-Path $script:current 'nightly.dump')
        $null = New-Item -ItemType Directory (Join-Path $script:current 'dumps')
        foreach ($name in 'east', 'west') { Copy-Item $script:svc.Archive (Join-Path $script:current "dumps/$name.dump") }
        Set-TestEnvironment @{ PGPHASE_JOURNAL_DIR = (New-Item -ItemType Directory (Join-Path $script:current 'journals')).FullName }
        $libpq = @{ PGHOST = $script:svc.Host; PGPORT = "$($script:svc.Port)"; PGUSER = $script:svc.User; PGPASSWORD = $script:svc.PlainPassword }
        Push-Location $script:current
        try {
            if ($entry.Libpq) { foreach ($k in $libpq.Keys) { Set-Item "env:$k" $libpq[$k] } }
            if ($entry.Setup) { & $entry.Setup }
            # The variables the examples take as given.
            $cred = $src = $dst = $script:pgCred
            $accessKey = $script:s3Key
            $secretKey = $script:svc.S3Credential.Password
            $mapped = Convert-Example $Code $script:prefix
            if ($entry.Fresh) {
                $out = Invoke-FreshExample $mapped
            }
            else {
                $ErrorActionPreference = 'Stop'
                $out = & ([scriptblock]::Create($mapped))
                $ErrorActionPreference = 'Continue'
            }
            & $entry.Check $out
        }
        finally {
            $ErrorActionPreference = 'Continue'
            if ($entry.Libpq) { foreach ($k in $libpq.Keys) { Remove-Item "env:$k" -ErrorAction SilentlyContinue } }
            Pop-Location
        }
    }
}
