# The documented pipelines end to end, in real PowerShell against a real PostgreSQL cluster and s3rver that the
# suite starts itself: every outcome is read back from the target, never taken from the cmdlets' word.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $script:Manifest -Force
    $script:svc = Start-TestServices
    $script:server = $script:svc.Server
    $script:cred = $script:svc.Credential
    $script:archive = $script:svc.Archive
}

AfterAll {
    Stop-TestServices $script:svc
}

Describe 'Four-phase restore through the pipeline' {
    It 'Get-PgDumpToc | Split-PgRestorePhases | Invoke-PgPhaseRestore restores the archive exactly; -WhatIf creates nothing' {
        $db = New-TestDatabaseName
        $target = "$script:server dbname=$db"
        Get-PgDumpToc $script:archive | Split-PgRestorePhases | Invoke-PgPhaseRestore -TargetConnection $target -TargetCredential $script:cred -CreateDatabase -NoOwner -WhatIf
        Test-DatabaseExists $script:svc $db | Should -BeFalse

        $results = Get-PgDumpToc $script:archive | Split-PgRestorePhases |
            Invoke-PgPhaseRestore -TargetConnection $target -TargetCredential $script:cred -CreateDatabase -NoOwner
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        (Get-PgDumpToc $script:archive | Test-PgPhaseRestore -TargetConnection $target -TargetCredential $script:cred -RowCount Exact).IsMatch | Should -BeTrue
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM app.customer' | Should -Be (Invoke-TestSql $script:svc $script:svc.SourceDatabase 'SELECT count(*) FROM app.customer')
    }

    It 'Split-PgRestorePhases -Verbose says when Auto sizes a plain archive from its data, and how long that took' {
        $records = Split-PgRestorePhases $script:archive -MemoryBudget 1GB -Verbose 4>&1
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $phases = @($records | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $phases | Should -HaveCount 4
        $start = [array]::IndexOf($verbose, ($verbose | Where-Object { $_ -like "${script:archive}: sizing * of * from the archive's data: one pass over their rows*" } | Select-Object -First 1))
        $end = [array]::IndexOf($verbose, ($verbose | Where-Object { $_ -match '^.*: sized (\d+) ind(ex|exes) from .* of table data in [\d.]+ s$' } | Select-Object -First 1))
        $start | Should -BeGreaterOrEqual 0 -Because ($verbose -join "`n")
        $end | Should -BeGreaterThan $start
        # Each estimate the scan made is one of the plan's decisions that follow, said to come from the archive scan.
        [int]$sized = [regex]::Match($verbose[$end], 'sized (\d+) ind').Groups[1].Value
        $sized | Should -BeGreaterThan 0
        @($verbose[($end + 1)..($verbose.Count - 1)] | Where-Object { $_ -like '*(archive scan: *' }) | Should -HaveCount $sized
    }

    It 'Invoke-PgPhaseRestore -Verbose plans a big table from its first rows and measures the rest as it loads' {
        $source = New-TestDatabaseName 'big'
        Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE $source" | Out-Null
        Invoke-TestSql $script:svc $source ("CREATE TABLE public.big (id integer PRIMARY KEY, label text NOT NULL); " +
            "INSERT INTO public.big SELECT g, repeat(md5(g::text), 2) FROM generate_series(1, 150000) g; CREATE INDEX big_label ON public.big (label)") | Out-Null
        # Stored uncompressed, so the table's data (about 11 MB) is past the size a restore sizes from its first rows.
        $dump = Join-Path $script:svc.WorkFolder "$source.dump"
        $psi = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $script:svc.PgBinDir 'pg_dump'))
        foreach ($a in @('-Fc', '-Z0', '-h', $script:svc.Host, '-p', "$($script:svc.Port)", '-U', $script:svc.User, '-d', $source, '-f', $dump)) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PGPASSWORD'] = $script:svc.PlainPassword
        $p = [System.Diagnostics.Process]::Start($psi)
        $p.WaitForExit()
        $p.ExitCode | Should -Be 0

        $db = New-TestDatabaseName
        $records = Invoke-PgPhaseRestore -Path $dump -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner `
            -Jobs 2 -MemoryBudget 1GB -Verbose 4>&1
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $results = @($records | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        @($verbose | Where-Object { $_ -like 'late *public.big*once the rows confirm it as they load*' }) | Should -HaveCount 2 -Because ($verbose -join "`n")
        @($verbose | Where-Object { $_ -like 'public.big: 150,000 rows measured as they loaded*' }) | Should -HaveCount 1 -Because ($verbose -join "`n")
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM public.big' | Should -Be '150000'
        Invoke-TestSql $script:svc 'postgres' "SELECT temp_bytes FROM pg_stat_database WHERE datname = '$db'" | Should -Be '0'
    }

    It 'restores an archive piped from Get-PgDumpToc, a path string and a file, each planned on the way' {
        foreach ($input in @((Get-PgDumpToc $script:archive), $script:archive, (Get-Item $script:archive))) {
            $db = New-TestDatabaseName
            $results = $input | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner
            $results | Should -HaveCount 4 -Because "input $($input.GetType().Name)"
            (Test-PgPhaseRestore -Path $script:archive -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred).IsMatch | Should -BeTrue
        }
    }

    It 'runs one phase at a time, then -Resume finishes what is left' {
        $db = New-TestDatabaseName
        $target = "$script:server dbname=$db"
        $phases = Get-PgDumpToc $script:archive | Split-PgRestorePhases
        $phases | Should -HaveCount 4
        ($phases | Invoke-PgPhaseRestore -TargetConnection $target -TargetCredential $script:cred -CreateDatabase -NoOwner -Phase 1).Phase | Should -Be 1
        Invoke-TestSql $script:svc $db "SELECT count(*) FROM pg_class WHERE relname = 'customer'" | Should -Be '1'
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM app.customer' | Should -Be '0'
        ($phases | Invoke-PgPhaseRestore -TargetConnection $target -TargetCredential $script:cred -NoOwner -Phase 2).Phase | Should -Be 2
        $rest = $phases | Invoke-PgPhaseRestore -TargetConnection $target -TargetCredential $script:cred -NoOwner -Resume
        @($rest | Where-Object { "$($_.Status)" -eq 'Succeeded' } | ForEach-Object Phase) | Should -Contain 3
        @($rest | Where-Object { "$($_.Status)" -eq 'Succeeded' } | ForEach-Object Phase) | Should -Contain 4
        (Test-PgPhaseRestore -Path $script:archive -TargetConnection $target -TargetCredential $script:cred -RowCount Exact).IsMatch | Should -BeTrue
    }

    It 'restores a directory-format archive with -Jobs 2' {
        $db = New-TestDatabaseName
        Invoke-PgPhaseRestore -Path $script:svc.DirectoryArchive -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -Jobs 2 | Should -HaveCount 4
        (Test-PgPhaseRestore -Path $script:svc.DirectoryArchive -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -RowCount Exact).IsMatch | Should -BeTrue
    }
}

Describe 'Backups and restores from a folder and a bucket' {
    It 'Get-PgDatabase | Backup-PgDatabase to a folder; Get-PgBackup | Invoke-PgPhaseRestore restores it' {
        $folder = Join-Path $TestDrive 'backups'
        Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase |
            Backup-PgDatabase -Path "$folder/" -SourceCredential $script:cred -WhatIf
        Test-Path $folder | Should -BeFalse

        $made = Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase |
            Backup-PgDatabase -Path "$folder/" -SourceCredential $script:cred
        $made.Database | Should -Be $script:svc.SourceDatabase
        $found = Get-PgBackup -Path $folder
        $found.Location | Should -Be $made.Location

        $db = New-TestDatabaseName
        Get-PgBackup -Path $folder -Latest | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner | Should -HaveCount 4
        (Test-PgPhaseRestore -Path $made.Location -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -RowCount Exact).IsMatch | Should -BeTrue
    }

    It 'backs up into a bucket and restores straight back from it' {
        $s3 = @{ S3Endpoint = $script:svc.S3Endpoint; S3ForcePathStyle = $true; S3Credential = $script:svc.S3Credential; Region = 'us-east-1' }
        $prefix = "s3://$($script:svc.Bucket)/nightly/"
        $made = Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase |
            Backup-PgDatabase -Path $prefix -SourceCredential $script:cred @s3
        $made.Location | Should -BeLike "$prefix*"
        $latest = Get-PgBackup -Path $prefix -Latest @s3
        $latest.Location | Should -Be $made.Location

        # Without the bucket's settings Split-PgRestorePhases cannot read the manifest that sizes Auto's indexes:
        # it still plans, every index early, and warns naming the parameters to give.
        $unsized = Get-PgDumpToc -Path $latest.Location @s3 | Split-PgRestorePhases -WarningVariable sizing -WarningAction SilentlyContinue
        $unsized | Should -HaveCount 4
        @($unsized[2].LateBuilds).Count | Should -Be 0
        "$sizing" | Should -BeLike "$($latest.Location): Auto has no size for some indexes, so builds them before the data: the manifest beside it could not be read*-S3Endpoint, -S3Credential or -ProfileName*"

        $db = New-TestDatabaseName
        $phases = Get-PgDumpToc -Path $latest.Location @s3 | Split-PgRestorePhases @s3 -WarningVariable sized
        $sized | Should -BeNullOrEmpty
        @($phases[2].LateBuilds).Count | Should -BeGreaterThan 0 -Because 'the manifest sizes the indexes'
        $results = $phases | Invoke-PgPhaseRestore -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -CreateDatabase -NoOwner -Jobs 2 @s3
        $results | Should -HaveCount 4
        (Test-PgPhaseRestore -Path $made.Location -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -RowCount Exact @s3).IsMatch | Should -BeTrue
    }

    It 'Copy-PgDatabase moves a database through a bucket in one command' {
        $s3 = @{ S3Endpoint = $script:svc.S3Endpoint; S3ForcePathStyle = $true; S3Credential = $script:svc.S3Credential; Region = 'us-east-1' }
        $db = New-TestDatabaseName
        $null = Copy-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path "s3://$($script:svc.Bucket)/moves/" `
            -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -CreateDatabase -NoOwner -Strategy Auto -Jobs 2 @s3
        (Test-PgPhaseRestore -Path $script:archive -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -RowCount Exact).IsMatch | Should -BeTrue
    }
}

Describe 'Targeted rollback' {
    It 'Switch-PgDatabase swaps a restored copy in, and -Undo swaps it back' {
        $live = New-TestDatabaseName 'live'
        $copy = New-TestDatabaseName 'copy'
        Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE $live" | Out-Null
        Invoke-TestSql $script:svc $live 'CREATE TABLE marker (what text); INSERT INTO marker VALUES (''old'')' | Out-Null
        Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE $copy" | Out-Null
        Invoke-TestSql $script:svc $copy 'CREATE TABLE marker (what text); INSERT INTO marker VALUES (''new'')' | Out-Null

        Switch-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Database $live -Replacement $copy -WhatIf
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'old'

        Switch-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Database $live -Replacement $copy -Confirm:$false | Out-Null
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'new'

        Switch-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Database $live -Undo -Confirm:$false | Out-Null
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'old'
    }
}

Describe 'Loops over many databases' {
    It 'backs up and restores in a ForEach-Object -Parallel -ThrottleLimit 2 loop, each runspace importing the module' {
        $folder = (New-Item -ItemType Directory (Join-Path $TestDrive 'parallel')).FullName
        $run = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $outcomes = 1..2 | ForEach-Object -Parallel {
            Import-Module $using:Manifest
            $svc = $using:svc
            $db = "par_$($using:run)_$_"
            $backup = Backup-PgDatabase -SourceConnection "$($svc.Server) dbname=$($svc.SourceDatabase)" -SourceCredential $svc.Credential -Path (Join-Path $using:folder "$db.dump")
            $phases = Invoke-PgPhaseRestore -Path $backup.Location -TargetConnection $svc.Server -TargetDatabase $db -TargetCredential $svc.Credential -CreateDatabase -NoOwner
            [pscustomobject]@{
                Database = $db
                Status   = @($phases.Status | ForEach-Object ToString)
                IsMatch  = (Test-PgPhaseRestore -Path $backup.Location -TargetConnection "$($svc.Server) dbname=$db" -TargetCredential $svc.Credential -RowCount Exact).IsMatch
            }
        } -ThrottleLimit 2
        $outcomes | Should -HaveCount 2
        foreach ($outcome in $outcomes) {
            $outcome.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded') -Because $outcome.Database
            $outcome.IsMatch | Should -BeTrue -Because $outcome.Database
        }
    }
}

Describe 'Beside other versions of its dependencies' {
    It 'imports after AWSSDK.Core 3.7 and Npgsql 8 were loaded, and both S3 and PostgreSQL calls work' {
        $aws = Get-ChildItem (Join-Path $script:Packages 'awssdk.core') -Recurse -Filter AWSSDK.Core.dll | Where-Object FullName -like '*net8.0*' | Select-Object -First 1
        $npgsql = Get-ChildItem (Join-Path $script:Packages 'npgsql') -Recurse -Filter Npgsql.dll | Where-Object FullName -like '*net8.0*' | Select-Object -First 1
        $aws | Should -Not -BeNullOrEmpty
        $npgsql | Should -Not -BeNullOrEmpty
        $s = $script:svc
        $out = & $script:Pwsh -NoProfile -NonInteractive -Command {
            param($manifest, $awsPath, $npgsqlPath, $server, $user, $password, $database, $endpoint, $key, $secret, $bucket)
            $ErrorActionPreference = 'Stop'
            Add-Type -Path $awsPath
            Add-Type -Path $npgsqlPath
            Import-Module $manifest
            $cred = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
            $s3 = [pscredential]::new($key, (ConvertTo-SecureString $secret -AsPlainText -Force))
            (Get-PgDatabase -ServerConnection $server -ServerCredential $cred -Name $database).Name
            @(Get-PgBackup -Path "s3://$bucket/" -S3Endpoint $endpoint -S3ForcePathStyle -S3Credential $s3 -Region us-east-1).Count -ge 0
            [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'AWSSDK.Core', 'Npgsql' } |
                ForEach-Object { '{0} {1} {2}' -f $_.GetName().Name, $_.GetName().Version.Major, [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } | Sort-Object
        } -args $script:Manifest, $aws.FullName, $npgsql.FullName, $s.Server, $s.User, $s.PlainPassword, $s.SourceDatabase, $s.S3Endpoint, $s.S3Credential.UserName, $s.S3SecretKey, $s.Bucket
        $LASTEXITCODE | Should -Be 0
        $out[0] | Should -Be $s.SourceDatabase
        $out[1] | Should -BeTrue
        $out | Should -Contain 'AWSSDK.Core 3 Default'
        $out | Should -Contain 'AWSSDK.Core 4 PgPhaseRestore'
        $out | Should -Contain 'Npgsql 8 Default'
        $out | Should -Contain 'Npgsql 10 PgPhaseRestore'
    }
}
