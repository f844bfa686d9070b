# PowerShell's conventions on the module's cmdlets, in real PowerShell against a real cluster and s3rver: -Path with
# wildcards and -LiteralPath, every pipeline into the cmdlets that read archives, confirmation before a live database
# is renamed or replaced, table columns that are properties, and edited list files that run.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $script:Manifest -Force
    $script:svc = Start-TestServices
    $script:server = $script:svc.Server
    $script:cred = $script:svc.Credential
    $script:s3 = @{ S3Endpoint = $script:svc.S3Endpoint; S3ForcePathStyle = $true; S3Credential = $script:svc.S3Credential; Region = 'us-east-1' }

    # Archives whose names need -LiteralPath ([1] is a wildcard set) beside ones a pattern finds.
    $script:dir = (New-Item -ItemType Directory (Join-Path $TestDrive 'archives')).FullName
    foreach ($name in 'nightly-1.dump', 'nightly-2.dump') { Copy-Item $script:svc.Archive (Join-Path $script:dir $name) }
    $script:odd = Join-Path $script:dir 'odd[1].dump'
    Copy-Item -LiteralPath $script:svc.Archive -Destination $script:odd

    # A backup in a folder, for Get-PgBackup's output on the pipeline.
    $script:backups = Join-Path $TestDrive 'backups'
    $script:backup = Backup-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path "$script:backups/"

    function New-RestoredDatabase {
        $db = New-TestDatabaseName
        $null = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner
        $db
    }

    function New-MarkedDatabase([string] $Prefix, [string] $Marker) {
        $db = New-TestDatabaseName $Prefix
        Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE $db" | Out-Null
        Invoke-TestSql $script:svc $db "CREATE TABLE marker (what text); INSERT INTO marker VALUES ('$Marker')" | Out-Null
        $db
    }

    # A runspace without a host that can prompt, as a runbook or a scheduled task has: what would ask, fails instead.
    function Invoke-WithoutPrompt([scriptblock] $Script, [object[]] $Arguments) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$script:Manifest'").AddStatement().AddScript($Script)
            foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
            $failure = $null
            $output = try { $ps.Invoke() } catch { $failure = $_.Exception }
            [pscustomobject]@{ Output = $output; Errors = @($ps.Streams.Error); Failure = $failure }
        }
        finally {
            $ps.Dispose()
        }
    }

    # A session that cannot prompt: the change is refused as a confirmation to give, never reported as a bug.
    function Assert-ConfirmationNeeded($asked) {
        $record = if ($asked.Failure.ErrorRecord) { $asked.Failure.ErrorRecord } else { $asked.Errors[0] }
        $record.FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.ConfirmationNeeded,*'
        "$record" | Should -Match 'cannot ask .*nothing was changed'
        $record.ErrorDetails.RecommendedAction | Should -Match '-Confirm:\$false'
    }
}

AfterAll {
    Stop-TestServices $script:svc
}

Describe '-Path takes wildcards, -LiteralPath takes names as written' {
    It 'Get-PgDumpToc -Path reads every archive a pattern matches' {
        $archives = Get-PgDumpToc -Path (Join-Path $script:dir 'nightly-*.dump')
        $archives | Should -HaveCount 2
        @($archives.Source | Sort-Object) | Should -Be @((Join-Path $script:dir 'nightly-1.dump'), (Join-Path $script:dir 'nightly-2.dump'))
    }

    It 'Split-PgRestorePhases, Test-PgPhaseRestore and Get-PgBackup take each match of a pattern' {
        Split-PgRestorePhases -Path (Join-Path $script:dir 'nightly-?.dump') | Should -HaveCount 8
        $db = New-RestoredDatabase
        $results = Test-PgPhaseRestore -Path (Join-Path $script:dir 'nightly-*.dump') -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred
        $results | Should -HaveCount 2
        $results.IsMatch | Should -Be @($true, $true)
        (Get-PgBackup -Path (Join-Path $TestDrive 'back*')).Location | Should -Be $script:backup.Location
    }

    It 'Invoke-PgPhaseRestore -Path goes on with the next match when one archive''s restore fails, unless told to stop' {
        # Both nightly archives (the same dump twice) into one new database: the first restores, the second is refused there.
        $db = New-TestDatabaseName
        $err = $null
        $results = Invoke-PgPhaseRestore -Path (Join-Path $script:dir 'nightly-*.dump') -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -ErrorVariable err -ErrorAction SilentlyContinue
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        $err | Should -HaveCount 1
        # The same dump again: the restore is complete, and neither -Resume nor -Force would help.
        "$($err[0].Exception.Code)" | Should -BeIn @('TargetNotEmpty', 'RestoreComplete')
        # The engine's advice gives way to the same advice in parameters: said once, with the parameters.
        $advice = 'restore into a new database, or drop this one first|allow a non-empty target explicitly'
        $err[0].Exception.Message | Should -Match $advice
        "$($err[0])" | Should -Not -Match $advice
        "$($err[0])" | Should -Match '(completed already|is not empty) .*\. (Restore into a new database \(-TargetDatabase\), or drop this one first|Restore into an empty database, or add -AllowNonEmptyTarget)\.$'
        "$($err[0])" | Should -Not -Match '-Force|-Resume'
        # Stop: the first failure ends the command, as a runbook's try/catch expects.
        $db2 = New-TestDatabaseName
        { Invoke-PgPhaseRestore -Path (Join-Path $script:dir 'nightly-*.dump') -TargetConnection $script:server -TargetDatabase $db2 -TargetCredential $script:cred -CreateDatabase -NoOwner -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*completed already*'
    }

    It 'Invoke-PgPhaseRestore -Path restores the archive a pattern matches' {
        $db = New-TestDatabaseName
        $results = Invoke-PgPhaseRestore -Path (Join-Path $script:dir 'nightly-1.*') -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        $results[0].Source | Should -Be (Join-Path $script:dir 'nightly-1.dump')
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM app.customer' | Should -Be (Invoke-TestSql $script:svc $script:svc.SourceDatabase 'SELECT count(*) FROM app.customer')
    }

    It '<Command>: a pattern that matches nothing is an ObjectNotFound error naming it, and nothing runs' -ForEach @(
        @{ Command = 'Get-PgDumpToc'; Arguments = @{} }
        @{ Command = 'Split-PgRestorePhases'; Arguments = @{} }
        @{ Command = 'Invoke-PgPhaseRestore'; Arguments = @{ TargetDatabase = 'never_made'; CreateDatabase = $true } }
        @{ Command = 'Test-PgPhaseRestore'; Arguments = @{} }
        @{ Command = 'Get-PgBackup'; Arguments = @{} }
    ) {
        $pattern = Join-Path $TestDrive 'nothing-*.dump'
        $connection = @{}
        if ((Get-Command $Command).Parameters.ContainsKey('TargetConnection')) { $connection = @{ TargetConnection = $script:server; TargetCredential = $script:cred } }
        $err = $null
        $out = & $Command -Path $pattern @connection @Arguments -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.PathNotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $pattern
        $err[0].Exception.Message | Should -BeLike "*$pattern*"
        Test-DatabaseExists $script:svc 'never_made' | Should -BeFalse
    }

    It '-LiteralPath (-LP, -PSPath) reads a name with wildcard characters; as -Path the brackets are a pattern' {
        (Get-PgDumpToc -LiteralPath $script:odd).Source | Should -Be $script:odd
        (Get-PgDumpToc -LP $script:odd).Source | Should -Be $script:odd
        (Get-PgDumpToc -PSPath $script:odd).Source | Should -Be $script:odd
        Split-PgRestorePhases -LiteralPath $script:odd | Should -HaveCount 4
        # odd[1].dump as a pattern means odd1.dump, which does not exist.
        $err = $null
        Get-PgDumpToc -Path $script:odd -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.PathNotFound*'
    }

    It 'a path without wildcards that does not exist is still the archive that cannot be reached' {
        $err = $null
        Get-PgDumpToc -Path (Join-Path $TestDrive 'missing.dump') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.ArchiveUnreachable*'
    }

    It 'takes s3:// URIs literally: * in a key is a character, not a pattern' {
        $key = "s3://$($script:svc.Bucket)/star*/nightly.dump"
        $made = Backup-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path $key @script:s3
        $made.Location | Should -Be $key
        (Get-PgDumpToc -Path $key @script:s3).Source | Should -Be $key
        (Get-PgBackup -Path "s3://$($script:svc.Bucket)/star*/" @script:s3).Location | Should -Be $key
        # The same prefix without the star holds nothing: no expansion happened.
        Get-PgBackup -Path "s3://$($script:svc.Bucket)/star/" @script:s3 | Should -BeNullOrEmpty
    }

    It 'Get-PgBackup lists the one backup of an archive named by its path' {
        $one = @($script:backup.Location)
        @((Get-PgBackup -LiteralPath $script:backup.Location).Location) | Should -Be $one
        @((Get-PgBackup -Path ([WildcardPattern]::Escape($script:backup.Location))).Location) | Should -Be $one
        @((Get-PgBackup -LiteralPath "$($script:backup.Location).manifest.json").Location) | Should -Be $one
    }

    It 'Get-PgBackup -Database takes wildcards; a plain name matches only itself' {
        $source = $script:svc.SourceDatabase
        (Get-PgBackup -Path $script:backups -Database ($source.Substring(0, 4) + '*')).Location | Should -Be $script:backup.Location
        (Get-PgBackup -Path $script:backups -Database $source).Location | Should -Be $script:backup.Location
        Get-PgBackup -Path $script:backups -Database $source.Substring(0, 4) -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-PgBackup -Path $script:backups -Database 'other_*' | Should -BeNullOrEmpty
    }

    It 'Get-PgBackup -Database takes a name with brackets as written, as Get-PgDatabase does' {
        $odd = "odd db/x[1]_$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE `"$odd`"" | Out-Null
        $folder = Join-Path $TestDrive 'odd-names'
        $made = Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $odd |
            Backup-PgDatabase -SourceCredential $script:cred -Path "$folder/"
        @((Get-PgBackup -Path $folder -Database $odd).Location) | Should -Be @($made.Location)
        @((Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $odd | Get-PgBackup -Path $folder).Location) | Should -Be @($made.Location)
        # A star still makes it a pattern, whose brackets are characters too.
        @((Get-PgBackup -Path $folder -Database 'odd db/x[1]*').Location) | Should -Be @($made.Location)
    }

    It '<Command>: a name without wildcards that matches nothing is an ObjectNotFound record naming it and <Parameter>; a pattern stays silent' -ForEach @(
        @{ Command = 'Get-PgDatabase'; Parameter = '-Name'; Run = { [CmdletBinding()] param($name) Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $name } }
        @{ Command = 'Get-PgBackup'; Parameter = '-Database'; Run = { [CmdletBinding()] param($name) Get-PgBackup -Path $script:backups -Database $name } }
    ) {
        $err = $null
        $out = & $Run 'nosuch_db' -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.NameNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'nosuch_db'
        "$($err[0])" | Should -Match '"nosuch_db"'
        "$($err[0])" | Should -Match ([regex]::Escape($Parameter))
        "$($err[0])" | Should -Not -Match '[\r\n]'
        $err[0].ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape($Parameter))
        # A pattern that matches nothing is no error: a loop over its matches has none.
        $err = $null
        & $Run 'nosuch_*' -ErrorVariable err | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
        # Under -ErrorAction Stop, as a runbook runs, it ends the command.
        { & $Run 'nosuch_db' -ErrorAction Stop } | Should -Throw -ErrorId 'PgPhaseRestore.NameNotFound,*'
    }

    It 'databases piped to Get-PgBackup are looked up for their backups: one without any is no error' {
        $listed = Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase, 'postgres'
        $listed | Should -HaveCount 2
        $err = $null
        $null = $listed | Get-PgBackup -Path $script:backups -ErrorVariable err -ErrorAction Stop
        $err | Should -BeNullOrEmpty
    }

    It 'Get-PgDatabase -Name with one name that exists and one that does not lists the one and reports the other; piped to Backup-PgDatabase, nothing is backed up silently' {
        $err = $null
        $out = Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase, 'nosuch_db' -ErrorVariable err -ErrorAction SilentlyContinue
        $out.Name | Should -Be $script:svc.SourceDatabase
        $err | Should -HaveCount 1
        $err[0].TargetObject | Should -Be 'nosuch_db'
        # Left out by -Exclude as well as asked for: not a surprise, so no error.
        Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase -Exclude $script:svc.SourceDatabase -ErrorVariable err | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
        $folder = Join-Path $TestDrive 'nothing-backed-up'
        $err = $null
        Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name 'nosuch_db' -ErrorVariable err -ErrorAction SilentlyContinue |
            Backup-PgDatabase -SourceCredential $script:cred -Path "$folder/" | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.NameNotFound,*'
    }

    It 'Get-PgBackup reports each manifest that marks no backup (torn, not a manifest, archive gone) as an InvalidData record and lists the others; -Latest picks among those' {
        $folder = Join-Path $TestDrive 'mixed'
        $source = "$script:server dbname=$($script:svc.SourceDatabase)"
        $kept = Backup-PgDatabase -SourceConnection $source -SourceCredential $script:cred -Path "$folder/"
        $gone = Backup-PgDatabase -SourceConnection $source -SourceCredential $script:cred -Path "$folder/"
        Remove-Item -LiteralPath $gone.Location
        $torn = Join-Path $folder 'zzz/torn.manifest.json'
        $null = New-Item -ItemType Directory (Split-Path $torn)
        Set-Content -LiteralPath $torn -Value '{"manifestVersion": 1, "location": ' -NoNewline
        $notes = Join-Path $folder 'notes.manifest.json'
        Set-Content -LiteralPath $notes -Value '{"name":"x"}' -NoNewline

        $err = $null
        $out = Get-PgBackup -Path $folder -ErrorVariable err -ErrorAction SilentlyContinue
        @($out.Location) | Should -Be @($kept.Location)
        $err | Should -HaveCount 3
        @($err.TargetObject | Sort-Object) | Should -Be @(@($torn, $notes, $gone.ManifestLocation) | Sort-Object)
        foreach ($record in $err) {
            $record.FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.ArchiveInvalid,*'
            $record.CategoryInfo.Category | Should -Be 'InvalidData'
            "$record" | Should -BeLike "$($record.TargetObject): *not listed as a backup"
            $record.Exception.Code | Should -Be 'NotABackup'
        }
        "$($err | Where-Object TargetObject -eq $torn)" | Should -Match 'not a readable backup manifest'
        "$($err | Where-Object TargetObject -eq $notes)" | Should -Match 'not a readable backup manifest'
        "$($err | Where-Object TargetObject -eq $gone.ManifestLocation)" | Should -Match 'a manifest without its archive'

        # -Latest: the newest backup that can be restored, not the newer manifest whose archive is gone.
        $err = $null
        (Get-PgBackup -Path $folder -Latest -ErrorVariable err -ErrorAction SilentlyContinue).Location | Should -Be $kept.Location
        $err | Should -HaveCount 3
        (Get-PgBackup -Path $folder -Database $script:svc.SourceDatabase -Latest -ErrorAction SilentlyContinue).Location | Should -Be $kept.Location
    }

    It 'Backup-PgDatabase and Copy-PgDatabase say that their -Path is taken literally' {
        foreach ($command in 'Backup-PgDatabase', 'Copy-PgDatabase') {
            (Get-Help $command -Parameter Path).Description.Text | Should -BeLike '*taken literally*'
            (Get-Command $command).Parameters['Path'].Attributes.Where({ $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) | Should -BeNullOrEmpty
        }
        $folder = Join-Path $TestDrive 'literal[1]'
        $made = Backup-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path "$folder/"
        $made.Location.StartsWith("$folder/") | Should -BeTrue -Because "$($made.Location) is under $folder, brackets and all"
        Test-Path -LiteralPath $made.Location | Should -BeTrue
    }
}

Describe 'Every pipeline into the cmdlets that read archives' {
    BeforeAll {
        $script:restored = New-RestoredDatabase
        $script:target = "$script:server dbname=$script:restored"
    }

    It '<Name> binds to Get-PgDumpToc' -ForEach @(
        @{ Name = 'a path string'; Make = { Join-Path $script:dir 'nightly-1.dump' } }
        @{ Name = 'a file from Get-ChildItem'; Make = { Get-Item -LiteralPath $script:odd } }
        @{ Name = 'a backup from Get-PgBackup'; Make = { Get-PgBackup -Path $script:backups } }
    ) {
        $archive = & $Make | Get-PgDumpToc
        $archive | Should -HaveCount 1
        $archive.Entries.Count | Should -BeGreaterThan 10
    }

    It 'a pattern piped as a string expands, and a file named like a pattern binds literally' {
        (Join-Path $script:dir 'nightly-*.dump') | Get-PgDumpToc | Should -HaveCount 2
        Get-ChildItem -LiteralPath $script:dir -Filter 'odd*' | Get-PgDumpToc | ForEach-Object Source | Should -Be $script:odd
    }

    It '<Name> binds to Split-PgRestorePhases' -ForEach @(
        @{ Name = 'an archive from Get-PgDumpToc'; Make = { Get-PgDumpToc -LiteralPath $script:odd -ErrorAction Stop } }
        @{ Name = 'a path string'; Make = { Join-Path $script:dir 'nightly-1.dump' } }
        @{ Name = 'a file from Get-ChildItem'; Make = { Get-Item -LiteralPath $script:odd } }
        @{ Name = 'a backup from Get-PgBackup'; Make = { Get-PgBackup -Path $script:backups } }
    ) {
        $phases = & $Make | Split-PgRestorePhases
        $phases | Should -HaveCount 4
        @($phases.Number) | Should -Be @(1, 2, 3, 4)
    }

    It 'plans an archive piped from Get-PgDumpToc as -Path plans it: Auto sizes the indexes from the archive either way' {
        function Get-PlanShape($phases) { $phases | ForEach-Object { "$($_.Number):$($_.EntryCount):$(@($_.LateBuilds | ForEach-Object { $_.Entry.Name }) -join ',')" } }
        $piped = Get-PgDumpToc $script:svc.Archive | Split-PgRestorePhases -Strategy Auto
        $byPath = Split-PgRestorePhases -Path $script:svc.Archive -Strategy Auto
        $piped[0].Strategy.ToString() | Should -Be 'Auto'
        @($piped.LateBuilds).Count | Should -BeGreaterThan 0 -Because 'the kitchen-sink''s small indexes fit the default budget once the archive is scanned'
        Get-PlanShape $piped | Should -Be (Get-PlanShape $byPath)
    }

    It 'plans with Auto by default and says, with -Verbose, where each index is built and why' {
        $verbose = @(Split-PgRestorePhases -Path $script:svc.Archive -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $phases = Split-PgRestorePhases -Path $script:svc.Archive
        $phases[0].Strategy.ToString() | Should -Be 'Auto'
        $late = @($phases[2].LateBuilds)
        $late.Count | Should -BeGreaterThan 0
        foreach ($build in $late) {
            $verbose | Should -Contain "late  $($build.Entry.Type) $($build.Entry.QualifiedName): $($build.Reason)"
        }
        @($verbose | Where-Object { $_ -like 'early *' }).Count | Should -BeGreaterThan 0 -Because 'the kitchen sink has indexes that are not btree or are partitioned'
    }

    It '<Name> binds to Test-PgPhaseRestore' -ForEach @(
        @{ Name = 'an archive from Get-PgDumpToc'; Make = { Get-PgDumpToc -LiteralPath $script:odd -ErrorAction Stop } }
        @{ Name = 'a path string'; Make = { Join-Path $script:dir 'nightly-1.dump' } }
        @{ Name = 'a file from Get-ChildItem'; Make = { Get-Item -LiteralPath $script:odd } }
        @{ Name = 'a backup from Get-PgBackup'; Make = { Get-PgBackup -Path $script:backups } }
    ) {
        $result = & $Make | Test-PgPhaseRestore -TargetConnection $script:target -TargetCredential $script:cred
        $result | Should -HaveCount 1
        $result.IsMatch | Should -BeTrue
    }

    It 'Test-PgPhaseRestore -RowCount without -SourceConnection says once that no rows are counted' {
        $w = $null
        $result = Get-ChildItem -LiteralPath $script:dir -Filter 'nightly-*.dump' |
            Test-PgPhaseRestore -TargetConnection $script:target -TargetCredential $script:cred -RowCount Exact -WarningVariable w -WarningAction SilentlyContinue
        $result | Should -HaveCount 2
        $result.TablesCounted | Should -Be @(0, 0)
        @($w) | Should -HaveCount 1
        "$($w[0])" | Should -Match '-RowCount Exact .*without -SourceConnection no rows are counted'
        $w = $null
        $null = Test-PgPhaseRestore -LiteralPath $script:odd -TargetConnection $script:target -TargetCredential $script:cred -WarningVariable w -WarningAction SilentlyContinue
        @($w) | Should -HaveCount 0 -Because 'the default Estimate, not asked for, is no reason to warn'
    }

    It '<Name> binds to Invoke-PgPhaseRestore and restores the archive' -ForEach @(
        @{ Name = 'phases from Split-PgRestorePhases'; Make = { Split-PgRestorePhases -LiteralPath $script:odd } }
        @{ Name = 'an archive from Get-PgDumpToc'; Make = { Get-PgDumpToc -LiteralPath $script:odd -ErrorAction Stop } }
        @{ Name = 'a path string'; Make = { Join-Path $script:dir 'nightly-1.dump' } }
        @{ Name = 'a file from Get-ChildItem'; Make = { Get-Item -LiteralPath $script:odd } }
        @{ Name = 'a backup from Get-PgBackup'; Make = { Get-PgBackup -Path $script:backups } }
    ) {
        $db = New-TestDatabaseName
        $results = & $Make | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM app.customer' | Should -Be (Invoke-TestSql $script:svc $script:svc.SourceDatabase 'SELECT count(*) FROM app.customer')
    }

    It 'an archive or a path piped with a strategy and a selection is planned with them: <Name>' -ForEach @(
        @{ Name = 'an archive from Get-PgDumpToc'; Make = { Get-PgDumpToc -LiteralPath $script:odd -ErrorAction Stop } }
        @{ Name = 'a path string'; Make = { Join-Path $script:dir 'nightly-1.dump' } }
    ) {
        $db = New-TestDatabaseName
        $results = & $Make | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -Strategy PreCreate -ExcludeTable app.customer
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        Invoke-TestSql $script:svc $db "SELECT to_regclass('app.customer') IS NULL, to_regclass('app.orders') IS NOT NULL" | Should -Be 't|t'
    }

    It 'piped phases refuse what only a plan chooses, and phases that cannot make one restore, before anything runs: <Name>' -ForEach @(
        @{ Name = 'a selection and a strategy'; Expected = '-Strategy, -ExcludeTable: piped phases are planned already*'; Action = 'Give -Strategy, -ExcludeTable to Split-PgRestorePhases, or restore the archive with -Path.'
            Run = { param($db) Split-PgRestorePhases -LiteralPath $script:odd | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -Strategy Standard -ExcludeTable app.customer -ErrorAction Stop } }
        @{ Name = 'phases of two archives'; Expected = 'phases of 2 archives were piped into one target*'; Action = '*add -AllowNonEmptyTarget*'
            Run = { param($db) @(Split-PgRestorePhases -Path (Join-Path $script:dir 'nightly-1.dump'))[0, 1] + @(Split-PgRestorePhases -Path (Join-Path $script:dir 'nightly-2.dump'))[2, 3] |
                Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -ErrorAction Stop } }
        @{ Name = 'a phase piped twice'; Expected = 'phase 1 of * was piped 2 times'; Action = 'Pipe each phase once*'
            Run = { param($db) $phases = Split-PgRestorePhases -LiteralPath $script:odd; @($phases) + $phases[0] |
                Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -ErrorAction Stop } }
    ) {
        $db = New-TestDatabaseName
        $refusal = { & $Run $db } | Should -Throw -ExpectedMessage $Expected -PassThru
        $refusal.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $refusal.FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.InvalidArgument,*'
        $refusal.ErrorDetails.RecommendedAction | Should -BeLike $Action
        "$refusal" | Should -BeLike "$Expected*$Action"

        Invoke-TestSql $script:svc 'postgres' "SELECT count(*) FROM pg_database WHERE datname = '$db'" | Should -Be 0
    }

    It 'an archive that went through Export-Clixml binds by its Source; phases that did are refused, naming what to do' {
        $xml = Join-Path $TestDrive 'archive.xml'
        Get-PgDumpToc -LiteralPath $script:odd | Export-Clixml $xml
        @(Import-Clixml $xml | Split-PgRestorePhases).Number | Should -Be @(1, 2, 3, 4)
        $db = New-TestDatabaseName
        $results = Import-Clixml $xml | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')

        $phases = Join-Path $TestDrive 'phases.xml'
        Split-PgRestorePhases -LiteralPath $script:odd | Export-Clixml $phases
        $other = New-TestDatabaseName
        # The first phase refused stops the command: one record, however many phases follow it.
        $err = $null
        $stopped = $null
        try {
            Import-Clixml $phases | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $other -TargetCredential $script:cred -CreateDatabase -NoOwner -ErrorVariable err
        } catch { $stopped = $_ }
        $stopped | Should -Not -BeNullOrEmpty
        "$stopped" | Should -BeLike '-Path: phase 1 of * went through serialization*Split-PgRestorePhases -Path*'
        $stopped.FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.InvalidArgument,*'
        $err | Should -HaveCount 1
        Test-DatabaseExists $script:svc $other | Should -BeFalse
    }

    It 'objects that name no archive or no database are refused, never bound by their text or their Source' {
        $db = New-TestDatabaseName
        $results = Invoke-PgPhaseRestore -LiteralPath $script:odd -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner
        { $results[-1] | Test-PgPhaseRestore -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '-Path: the PhaseResult on the pipeline names no archive*'
        # A restore's Target, as it shows a database, binds as that database.
        $test = [pscustomobject]@{ Target = $results[-1].Target } | Test-PgPhaseRestore -LiteralPath $script:odd -TargetCredential $script:cred
        $test.IsMatch | Should -BeTrue

        $to = Join-Path $TestDrive 'never/'
        { Get-PgDumpToc -LiteralPath $script:odd | Backup-PgDatabase -Path $to -SourceCredential $script:cred -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*is not a connection: give a libpq string*A path here is an archive''s*'
        Test-Path $to | Should -BeFalse
    }

    It 'phases piped without the data phase restore the whole schema, and phase 4 without phase 2 is refused before anything runs' {
        $db = New-TestDatabaseName
        $results = Split-PgRestorePhases -LiteralPath $script:odd | Where-Object Number -ne 3 |
            Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        $indexes = "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app'"
        Invoke-TestSql $script:svc $db $indexes | Should -Be (Invoke-TestSql $script:svc $script:svc.SourceDatabase $indexes)
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM app.customer' | Should -Be '0'
        # The data phase on its own afterwards would load rows through the foreign keys: refused, naming -Force.
        $late = { Split-PgRestorePhases -LiteralPath $script:odd | Where-Object Number -eq 3 |
                Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*without phase 3 Data: it holds a schema without rows*' -PassThru
        "$($late.Exception.Code)" | Should -Be 'SchemaWithoutRows'
        $late.ErrorDetails.RecommendedAction | Should -Be 'Restore into a new database, or add -Force to load the rows through its foreign keys and triggers.'
        "$late" | Should -Not -Match 'force the data phase'
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM app.customer' | Should -Be '0'

        $other = New-TestDatabaseName
        $refusal = { Split-PgRestorePhases -LiteralPath $script:odd -Strategy PreCreate | Where-Object Number -In 1, 4 |
                Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $other -TargetCredential $script:cred -CreateDatabase -NoOwner -ErrorAction Stop } |
            Should -Throw -ExpectedMessage 'phase 4 PostData adds what relies on phase 2 Indexes*nothing was created*' -PassThru
        $refusal.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Test-DatabaseExists $script:svc $other | Should -BeFalse
    }

    It 'a session''s $PSDefaultParameterValues for planning parameters restore piped phases as planned, and a different value given is still refused' {
        $PSDefaultParameterValues['Invoke-Pg*:MemoryBudget'] = 2GB
        $PSDefaultParameterValues['*:Strategy'] = 'auto'
        try {
            $db = New-TestDatabaseName
            $verbose = $( $results = Split-PgRestorePhases -LiteralPath $script:odd -Strategy PreCreate |
                    Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -Verbose ) 4>&1
            @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
            @($verbose | Where-Object { "$_" -like '-MemoryBudget from $PSDefaultParameterValues is not applied*' }) | Should -HaveCount 1
            @($verbose | Where-Object { "$_" -like '-Strategy from $PSDefaultParameterValues is not applied*' }) | Should -HaveCount 1

            $other = New-TestDatabaseName
            { Split-PgRestorePhases -LiteralPath $script:odd | Invoke-PgPhaseRestore -TargetConnection $script:server -TargetDatabase $other -TargetCredential $script:cred -CreateDatabase -NoOwner -Strategy Standard -ErrorAction Stop } |
                Should -Throw -ExpectedMessage '-Strategy: piped phases are planned already*'
            Invoke-TestSql $script:svc 'postgres' "SELECT count(*) FROM pg_database WHERE datname = '$other'" | Should -Be 0
        }
        finally {
            $PSDefaultParameterValues.Remove('Invoke-Pg*:MemoryBudget')
            $PSDefaultParameterValues.Remove('*:Strategy')
        }
    }

    It 'a server as host:port (Get-PgDatabase''s Server, a CSV column) binds to -ServerConnection as that host and port' {
        $address = "$($script:svc.Host):$($script:svc.Port)"
        (Get-PgDatabase -ServerConnection $address -ServerCredential $script:cred -Name $script:svc.SourceDatabase).Server | Should -Be $address
        ([pscustomobject]@{ Server = $address } | Get-PgDatabase -ServerCredential $script:cred -Name $script:svc.SourceDatabase).Name | Should -Be $script:svc.SourceDatabase
        # What Switch-PgDatabase reads from a listed database: the server (the swap itself is refused: no such database).
        $listed = Get-PgDatabase -ServerConnection $address -ServerCredential $script:cred -Name $script:svc.SourceDatabase
        $refusal = { $listed | Select-Object Server | Switch-PgDatabase -ServerCredential $script:cred -Database 'no_such_live_db' -Replacement $script:svc.SourceDatabase -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*no database is named "no_such_live_db"*' -PassThru
        # A mistyped name says which parameters to check.
        $refusal.ErrorDetails.RecommendedAction | Should -Be 'Check the database names given (-Database, -Replacement) and the server in -ServerConnection.'
        $refusal.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a folder piped as a string binds to Get-PgBackup, and Get-PgDatabase output to its -Database' {
        ($script:backups | Get-PgBackup).Location | Should -Be $script:backup.Location
        (Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase |
            Get-PgBackup -Path $script:backups).Location | Should -Be $script:backup.Location
    }

    It '<Name> binds to Get-PgBackup: the backup it names is listed, and its file name is no -Database filter' -ForEach @(
        @{ Name = 'a file from Get-Item'; Pipe = { Get-Item -LiteralPath $script:backup.Location } }
        @{ Name = 'a folder from Get-Item'; Pipe = { Get-Item -LiteralPath $script:backups } }
        @{ Name = 'files from Get-ChildItem -Recurse'; Pipe = { Get-ChildItem -LiteralPath $script:backups -Recurse -Filter *.dump } }
        @{ Name = 'a backup from Get-PgBackup'; Pipe = { Get-PgBackup -Path $script:backups } }
        @{ Name = 'a folder as a string'; Pipe = { $script:backups } }
    ) {
        $err = $null
        @((& $Pipe | Get-PgBackup -ErrorVariable err).Location) | Should -Be @($script:backup.Location)
        $err | Should -BeNullOrEmpty
        # A -Database given on the command line still filters what is piped.
        & $Pipe | Get-PgBackup -Database 'other_*' | Should -BeNullOrEmpty
    }
}

Describe 'Confirmation before a live database is renamed or replaced' {
    It 'Switch-PgDatabase is High impact; Invoke-PgPhaseRestore stays Medium for restores into new databases' {
        $impact = { param($name) ((Get-Command $name).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true))[0].ConfirmImpact }
        & $impact 'Switch-PgDatabase' | Should -Be 'High'
        & $impact 'Invoke-PgPhaseRestore' | Should -Be 'Medium'
    }

    It 'Switch-PgDatabase in a runspace that cannot prompt renames nothing without -Confirm:$false, and swaps with it' {
        $live = New-MarkedDatabase 'live' 'old'
        $copy = New-MarkedDatabase 'copy' 'new'
        $swap = { param($server, $cred, $live, $copy) Switch-PgDatabase -ServerConnection $server -ServerCredential $cred -Database $live -Replacement $copy }
        $asked = Invoke-WithoutPrompt $swap @($script:server, $script:cred, $live, $copy)
        ($asked.Failure, $asked.Errors) | Where-Object { $_ } | Should -Not -BeNullOrEmpty -Because 'a High-impact change must ask, and a host that cannot prompt fails'
        Assert-ConfirmationNeeded $asked
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'old'
        Test-DatabaseExists $script:svc $copy | Should -BeTrue

        $confirmed = Invoke-WithoutPrompt { param($server, $cred, $live, $copy) Switch-PgDatabase -ServerConnection $server -ServerCredential $cred -Database $live -Replacement $copy -Confirm:$false } @($script:server, $script:cred, $live, $copy)
        $confirmed.Failure | Should -BeNullOrEmpty
        $confirmed.Errors | Should -BeNullOrEmpty
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'new'
        $confirmed.Output[0].PreviousDatabase | Should -BeLike "${live}__before_*"
    }

    It 'Invoke-PgPhaseRestore -ReplaceDatabase asks as High impact: nothing without -Confirm:$false, nothing with -WhatIf, the swap with -Confirm:$false' {
        $live = New-MarkedDatabase 'repl' 'old'
        $replace = { param($archive, $server, $cred, $live, $confirm)
            $extra = if ($confirm) { @{ Confirm = $false } } else { @{} }
            Invoke-PgPhaseRestore -Path $archive -TargetConnection "$server dbname=$live" -TargetCredential $cred -NoOwner -ReplaceDatabase -SkipRowCount @extra }
        $asked = Invoke-WithoutPrompt $replace @($script:svc.Archive, $script:server, $script:cred, $live, $false)
        ($asked.Failure, $asked.Errors) | Where-Object { $_ } | Should -Not -BeNullOrEmpty
        Assert-ConfirmationNeeded $asked
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'old'
        Invoke-TestSql $script:svc 'postgres' "SELECT count(*) FROM pg_database WHERE datname LIKE '${live}__%'" | Should -Be '0'

        Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$script:server dbname=$live" -TargetCredential $script:cred -NoOwner -ReplaceDatabase -WhatIf
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'old'

        $done = Invoke-WithoutPrompt $replace @($script:svc.Archive, $script:server, $script:cred, $live, $true)
        $done.Failure | Should -BeNullOrEmpty
        "$($done.Output[-1].Status)" | Should -Be 'Replaced'
        Invoke-TestSql $script:svc $live "SELECT count(*) FROM pg_tables WHERE tablename = 'marker'" | Should -Be '0'
        Invoke-TestSql $script:svc $live 'SELECT count(*) FROM app.customer' | Should -Be (Invoke-TestSql $script:svc $script:svc.SourceDatabase 'SELECT count(*) FROM app.customer')
    }

    It 'Switch-PgDatabase run by a scheduler (pwsh -File, its input closed) without -Confirm:$false renames nothing and says how to confirm, never a bug' {
        $live = New-MarkedDatabase 'live' 'old'
        $copy = New-MarkedDatabase 'copy' 'new'
        $file = Join-Path $TestDrive 'swap-from-cron.ps1'
        Set-Content -LiteralPath $file -Value ("Import-Module '$script:Manifest'; " +
            "try { Switch-PgDatabase -ServerConnection '$script:server' -Database '$live' -Replacement '$copy' -ErrorAction Stop } " +
            "catch { 'id ' + `$_.FullyQualifiedErrorId; 'action ' + `$_.ErrorDetails.RecommendedAction }")
        $run = Invoke-TestProcess $script:Pwsh @('-NoProfile', '-File', $file) @{ PGPASSWORD = $script:svc.PlainPassword } -NoInput
        $run.Out | Should -Match 'id PgPhaseRestore\.ConfirmationNeeded,' -Because "$($run.Out) $($run.Err)"
        $run.Out | Should -Match 'action Add -Confirm:\$false'
        $run.Out | Should -Not -Match 'PgPhaseRestore\.Bug'
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'old'
        Invoke-TestSql $script:svc $copy 'SELECT what FROM marker' | Should -Be 'new'
    }

    It 'a restore into a new database does not ask, even where nothing can prompt' {
        $db = New-TestDatabaseName
        $run = Invoke-WithoutPrompt { param($archive, $server, $cred, $db) Invoke-PgPhaseRestore -Path $archive -TargetConnection $server -TargetDatabase $db -TargetCredential $cred -CreateDatabase -NoOwner } @($script:svc.Archive, $script:server, $script:cred, $db)
        $run.Failure | Should -BeNullOrEmpty
        $run.Output | Should -HaveCount 4
        Test-DatabaseExists $script:svc $db | Should -BeTrue
    }
}

Describe '-Debug where nothing can prompt' {
    It 'plans and restores with -Debug alone in pwsh -NonInteractive, as a runbook runs: nothing asks, nothing fails' {
        # PowerShell asks before every verbose record of a compiled cmdlet given -Debug alone; a runbook cannot answer.
        $db = New-TestDatabaseName
        $script = "Import-Module '$script:Manifest'; `$ErrorActionPreference = 'Stop'; " +
            "`$phases = Split-PgRestorePhases -Path '$($script:svc.Archive)' -Debug; " +
            "`$phases | Invoke-PgPhaseRestore -TargetConnection '$script:server' -TargetDatabase '$db' -CreateDatabase -NoOwner -Debug | ForEach-Object { 'status ' + `$_.Status }"
        # The password as libpq takes it from the environment, for this child only.
        $run = Invoke-TestProcess $script:Pwsh @('-NoProfile', '-NonInteractive', '-Command', $script) @{ PGPASSWORD = $script:svc.PlainPassword }
        $out = $run.Out
        $run.ExitCode | Should -Be 0 -Because "$out $($run.Err)"
        $out | Should -Not -Match 'NonInteractive mode'
        @($out -split "`n" | Where-Object { $_ -match '^status ' } | ForEach-Object { $_.Trim() }) | Should -Be @('status Succeeded', 'status Succeeded', 'status Succeeded', 'status Succeeded')
        # What -Verbose shows comes out as debug records.
        $out | Should -Match '(?m)^(\e\[[0-9;]*m)*DEBUG: '
    }
}

Describe 'Errors recommend only the parameters of the cmdlet that failed' {
    It 'Copy-PgDatabase into a database that is not empty: refused before the backup, never recommending -AllowNonEmptyTarget, which it does not take' {
        $db = New-MarkedDatabase 'full' 'kept'
        $to = Join-Path $TestDrive 'full-copies/'
        $err = $null
        Copy-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path $to -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -NoOwner -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.RestoreFailed,*'
        "$($err[0].Exception.Code)" | Should -BeIn @('TargetNotEmpty', 'AlreadyRestored')
        "$($err[0])" | Should -Match 'is not empty .*nothing was backed up'
        "$($err[0]) $($err[0].ErrorDetails.RecommendedAction)" | Should -Not -Match 'AllowNonEmptyTarget'
        Test-Path $to | Should -BeFalse
        Invoke-TestSql $script:svc $db 'SELECT what FROM marker' | Should -Be 'kept'
    }

    It 'Backup-PgDatabase into a bucket that does not exist: the action keeps -Path and -S3Endpoint, and drops the -LiteralPath it does not take' {
        $err = $null
        Backup-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path 's3://no-such-bucket-conventions/x/y.dump' @script:s3 -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        "$($err[0].Exception.Code)" | Should -Be 'ArchiveNotFound'
        $err[0].ErrorDetails.RecommendedAction | Should -Be 'Check -Path, and for an s3:// URI -S3Endpoint.'
        "$($err[0])" | Should -Match 'no-such-bucket-conventions.*Check -Path, and for an s3:// URI -S3Endpoint\.$'
    }

    It '<Command> with a connection that names no database says which parameter to correct' -ForEach @(
        @{ Command = 'Invoke-PgPhaseRestore'; Parameter = 'TargetConnection'; Run = { Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection $script:server -TargetCredential $script:cred -ErrorAction Stop } }
        @{ Command = 'Backup-PgDatabase'; Parameter = 'SourceConnection'; Run = { Backup-PgDatabase -SourceConnection $script:server -SourceCredential $script:cred -Path (Join-Path $TestDrive 'nodb/') -ErrorAction Stop } }
    ) {
        $err = { & $Run } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.ErrorDetails.RecommendedAction | Should -Be "Correct -$Parameter."
        "$err" | Should -Match "connection names no database \(dbname\)\. Correct -$Parameter\.$"
    }

    It 'Invoke-PgPhaseRestore -ReplaceDatabase of a live name too long for the names it makes is refused as it starts, naming -SideDatabase and -AsideName, which replace it' {
        # 41 bytes: the default side name, <live>__pgphase_<14 digits>, would be 65.
        $live = New-MarkedDatabase ('l' * 30) 'old'
        # A replace that cannot start stops the command, as every refusal of a replace does.
        $err = { Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$script:server dbname=$live" -TargetCredential $script:cred -NoOwner -ReplaceDatabase -SkipRowCount -Confirm:$false } |
            Should -Throw -PassThru
        "$($err.Exception.Code)" | Should -Be 'NameTooLong'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.InvalidArgument,*'
        $err.ErrorDetails.RecommendedAction | Should -Be 'Give a name of 63 bytes or fewer (-TargetDatabase), or name the database made beside it yourself (-SideDatabase) (-AsideName).'
        # The fact once, then the action in parameters: not the engine's own advice as well.
        "$err" | Should -Match "^the side database name .*$live.* is longer than PostgreSQL's 63-byte limit for names\. Give a name"

        # The name the live database moves to is checked as the replace starts, not at the swap after the restore.
        $side = New-TestDatabaseName 'side'
        $err = { Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$script:server dbname=$live" -TargetCredential $script:cred -NoOwner -ReplaceDatabase -SideDatabase $side -SkipRowCount -Confirm:$false } |
            Should -Throw -PassThru
        "$($err.Exception.Code)" | Should -Be 'NameTooLong'
        "$err" | Should -Match "^the aside name .*${live}__before_.* is longer than"
        Test-DatabaseExists $script:svc $side | Should -BeFalse
        Invoke-TestSql $script:svc $live 'SELECT what FROM marker' | Should -Be 'old'

        $aside = New-TestDatabaseName 'aside'
        $done = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$script:server dbname=$live" -TargetCredential $script:cred -NoOwner -ReplaceDatabase -SideDatabase $side -AsideName $aside -SkipRowCount -Confirm:$false
        "$($done[-1].Status)" | Should -Be 'Replaced'
        $done[-1].SideDatabase | Should -Be $side
        $done[-1].PreviousDatabase | Should -Be $aside
        Invoke-TestSql $script:svc $live "SELECT count(*) FROM pg_tables WHERE tablename = 'marker'" | Should -Be '0'
        Invoke-TestSql $script:svc $aside 'SELECT what FROM marker' | Should -Be 'old'
    }

    It 'Invoke-PgPhaseRestore -<Parameter> that cannot work is refused before the database is created, naming -<Parameter>' -ForEach @(
        @{ Parameter = 'Role'; Extra = @{ Role = 'no_such_role_pester' }; Message = 'role "no_such_role_pester" cannot be set: role "no_such_role_pester" does not exist' }
        @{ Parameter = 'SessionSetting'; Extra = @{ SessionSetting = @{ no_such_setting = '1' } }; Message = 'the session settings are refused by the server: unrecognized configuration parameter "no_such_setting"' }
        @{ Parameter = 'SessionSetting'; Extra = @{ SessionSetting = @{ work_mem = 'lots' } }; Message = 'the session settings are refused by the server: invalid value for parameter "work_mem": "lots"' }
        @{ Parameter = 'JournalPath'; Extra = @{ JournalPath = '/proc/no-such-folder/journal.json' }; Message = 'restore journal /proc/no-such-folder/journal.json cannot be written' }
        @{ Parameter = 'PgRestorePath'; Extra = @{ PgRestorePath = '/no/such/pg_restore' }; Message = 'pg_restore was not found at /no/such/pg_restore' }
    ) {
        $db = New-TestDatabaseName
        $err = $null
        $out = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -CreateDatabase -NoOwner @Extra -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.InvalidArgument,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].ErrorDetails.RecommendedAction | Should -Be "Correct -$Parameter."
        "$($err[0])" | Should -BeLike "$Message*"
        "$($err[0])" | Should -BeLike "*. Correct -$Parameter."
        Test-DatabaseExists $script:svc $db | Should -BeFalse -Because 'nothing is created before what would fail is tried'
    }

    It 'Backup-PgDatabase: <Case> is refused with "<Action>", and no backup is written' -ForEach @(
        @{ Case = 'a backup name with a /'; Extra = @{ BackupName = 'a/b' }; Id = 'PgPhaseRestore.InvalidArgument'; Action = 'Correct -BackupName.' }
        @{ Case = 'a -Table that matches no table'; Extra = @{ Table = 'no_such_table' }; Id = 'PgPhaseRestore.InvalidArgument'; Action = 'Correct -Table.' }
        @{ Case = 'a -Schema that matches no schema'; Extra = @{ Schema = 'no_such_schema' }; Id = 'PgPhaseRestore.InvalidArgument'; Action = 'Correct -Schema.' }
        @{ Case = 'a pg_dump that is not there'; Extra = @{ PgDumpPath = '/no/such/pg_dump' }; Id = 'PgPhaseRestore.InvalidArgument'; Action = 'Correct -PgDumpPath.' }
        @{ Case = '-DumpJobs without the directory format'; Extra = @{ DumpJobs = 4 }; Id = 'PgPhaseRestore.InvalidArgument'; Action = 'Correct -Format.' }
        @{ Case = 'a compression pg_dump does not take'; Extra = @{ Compression = '99' }; Id = 'PgPhaseRestore.InvalidArgument'; Action = 'Correct -Compression.' }
        @{ Case = 'a role that may not read a table'; Weak = $true; Extra = @{}; Id = 'PgPhaseRestore.OperationFailed'; Action = 'Connect as a role that may: -SourceCredential.' }
    ) {
        $to = Join-Path $TestDrive "refused-$([guid]::NewGuid().ToString('N'))"
        $cred = $script:cred
        if ($Weak) {
            Invoke-TestSql $script:svc 'postgres' "DROP ROLE IF EXISTS pester_weak; CREATE ROLE pester_weak LOGIN PASSWORD 'weak'" | Out-Null
            $cred = [pscredential]::new('pester_weak', (ConvertTo-SecureString 'weak' -AsPlainText -Force))
        }
        $err = $null
        $out = Backup-PgDatabase -SourceConnection "host=$($script:svc.Host) port=$($script:svc.Port) dbname=$($script:svc.SourceDatabase)" -SourceCredential $cred -Path "$to/" @Extra -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err[0].ErrorDetails.RecommendedAction | Should -Be $Action
        "$($err[0])" | Should -BeLike "*. $Action"
        @(Get-ChildItem -Path $to -Recurse -File -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }

    It 'Backup-PgDatabase -Path naming a folder without its trailing / says to add it, never to force over the folder' {
        $folder = (New-Item -ItemType Directory (Join-Path $TestDrive "backups-$([guid]::NewGuid().ToString('N'))")).FullName
        $kept = New-Item -ItemType File (Join-Path $folder 'kept.txt')
        foreach ($force in $false, $true) {
            $err = $null
            $out = Backup-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path $folder -Force:$force -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.InvalidArgument,*'
            "$($err[0])" | Should -BeLike "$folder is a folder, not a backup: end the destination with / *. Correct -Path."
            $err[0].ErrorDetails.RecommendedAction | Should -Be 'Correct -Path.'
        }
        @(Get-ChildItem -LiteralPath $folder).Name | Should -Be @('kept.txt')
    }

    It 'Invoke-PgPhaseRestore -ListFile that cannot be read names -ListFile' {
        $err = { Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$script:server dbname=$(New-TestDatabaseName)" -TargetCredential $script:cred -CreateDatabase -NoOwner -ListFile (Join-Path $TestDrive 'no-such.list') } |
            Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.ErrorDetails.RecommendedAction | Should -Be 'Check -ListFile.'
        "$err" | Should -Match 'no-such\.list cannot be read: .*\. Check -ListFile\.$'
    }
}

Describe 'Table views show properties' {
    BeforeAll {
        # One real object of every type the format file has a view for.
        $archive = Get-PgDumpToc $script:svc.Archive
        $restoredDb = New-TestDatabaseName
        $phaseResults = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection $script:server -TargetDatabase $restoredDb -TargetCredential $script:cred -CreateDatabase -NoOwner
        $live = New-MarkedDatabase 'view' 'old'
        $copy = New-MarkedDatabase 'viewcopy' 'new'
        $replaceLive = New-MarkedDatabase 'viewrepl' 'old'
        $script:samples = @{
            'PgPhaseRestore.Engine.Archive.DumpArchive'               = $archive
            'PgPhaseRestore.Engine.Archive.TocEntry'                  = $archive.Entries | Where-Object Type -eq 'TABLE DATA' | Select-Object -First 1
            'PgPhaseRestore.Engine.Planning.RestorePhase'             = $archive | Split-PgRestorePhases | Where-Object Number -eq 3
            'PgPhaseRestore.Engine.Restore.PhaseResult'               = $phaseResults | Where-Object Phase -eq 3
            'PgPhaseRestore.Engine.Verification.VerificationResult'   = $archive | Test-PgPhaseRestore -TargetConnection "$script:server dbname=$restoredDb" -TargetCredential $script:cred
            'PgPhaseRestore.Engine.Servers.DatabaseInfo'              = Get-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Name $script:svc.SourceDatabase
            'PgPhaseRestore.Engine.Backup.BackupManifest'             = $script:backup
            'PgPhaseRestore.Engine.Copy.CopyResult'                   = Copy-PgDatabase -SourceConnection "$script:server dbname=$($script:svc.SourceDatabase)" -SourceCredential $script:cred -Path (Join-Path $TestDrive 'copies/') -TargetConnection $script:server -TargetDatabase (New-TestDatabaseName) -TargetCredential $script:cred -CreateDatabase -NoOwner
            'PgPhaseRestore.Engine.Swap.SwapResult'                   = Switch-PgDatabase -ServerConnection $script:server -ServerCredential $script:cred -Database $live -Replacement $copy -Confirm:$false
            'PgPhaseRestore.Engine.Replace.ReplaceResult'             = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$script:server dbname=$replaceLive" -TargetCredential $script:cred -NoOwner -ReplaceDatabase -SkipRowCount -Confirm:$false
        }

        $formats = [xml](Get-Content -Raw (Join-Path $script:ModuleFolder 'PgPhaseRestore.format.ps1xml'))
        $script:views = foreach ($view in $formats.Configuration.ViewDefinitions.View) {
            $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
            $items = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
            @{
                Name    = $view.Name
                Type    = $view.ViewSelectedBy.TypeName
                Columns = @(for ($i = 0; $i -lt $items.Count; $i++) {
                        $label = if ($headers[$i].Label) { $headers[$i].Label } else { $items[$i].PropertyName }
                        [pscustomobject]@{ Label = $label; PropertyName = $items[$i].PropertyName; ScriptBlock = $items[$i].ScriptBlock }
                    })
            }
        }
    }

    It 'has a real object for every view in the format file' {
        $script:views | Should -Not -BeNullOrEmpty
        foreach ($view in $script:views) {
            $script:samples[$view.Type] | Should -Not -BeNullOrEmpty -Because "the view $($view.Name) needs an object of $($view.Type) to be checked"
            $script:samples[$view.Type].GetType().FullName | Should -Be $view.Type
        }
    }

    It 'every column of every view is a property of its type, shown as it is, and filters with Where-Object' {
        foreach ($view in $script:views) {
            $object = $script:samples[$view.Type]
            $errorsBefore = $Error.Count
            $table = $object | Format-Table | Out-String -Width 1000
            # A column whose script block fails shows blank and leaves its error in $Error, which runbooks check.
            $Error.Count | Should -Be $errorsBefore -Because "formatting $($view.Name) adds no error ($($Error | Select-Object -First 1))"
            foreach ($column in $view.Columns) {
                $where = "$($view.Name) column $($column.Label)"
                $object.PSObject.Properties[$column.Label] | Should -Not -BeNullOrEmpty -Because "$where must be a property"
                if ($column.PropertyName) {
                    $column.PropertyName | Should -BeExactly $column.Label -Because "$where must show the property it is named after"
                }
                else {
                    # A script block only formats the column's own property: it reads no other.
                    $read = [regex]::Matches($column.ScriptBlock, '\$_\.(\w+)') | ForEach-Object { $_.Groups[1].Value } | Select-Object -Unique
                    $read | Should -Be $column.Label -Because "$where formats $($column.Label) and nothing else"
                    $object.$($column.Label) -is [System.Collections.ICollection] | Should -BeFalse -Because "$where must not show a count of a collection"
                }
                $table | Should -Match "\b$([regex]::Escape($column.Label))\b" -Because "$where is in the table PowerShell shows"
                $value = $object.$($column.Label)
                if ($null -ne $value -and $value -isnot [System.Collections.ICollection]) {
                    @($object | Where-Object $column.Label -eq $value) | Should -HaveCount 1 -Because "Where-Object $($column.Label) -eq '$value' finds the object"
                }
            }
        }
    }

    It 'Format-List * of every object shows values, never the name of a type of the module' {
        $shown = foreach ($type in $script:samples.Keys) {
            $list = $script:samples[$type] | Format-List * | Out-String -Width 1000
            # A type's name, or a record's own dump of its fields ("TableStats { Schema = app, ... }").
            [regex]::Matches($list, '(?m)^(\w+)\s*: .*(\bPgPhaseRestore\.Engine\.[\w.]+|\b[A-Z]\w+ \{ \w+ = )') | ForEach-Object { "$type $($_.Value)" }
        }
        $shown | Should -BeNullOrEmpty -Because "Format-List shows values, not type names: $($shown -join '; ')"
    }

    It 'shows sizes with their unit' {
        $database = $script:samples['PgPhaseRestore.Engine.Servers.DatabaseInfo']
        ($database | Format-Table | Out-String -Width 1000) | Should -Match '\d (KiB|MiB|GiB)\b'
        ($script:samples['PgPhaseRestore.Engine.Backup.BackupManifest'] | Format-Table | Out-String -Width 1000) | Should -Match '\d (B|KiB|MiB|GiB)\b'
    }

    It 'filters by the columns the brief of each view shows: a copy by Database, an archive by DatabaseName, a phase by TableCount' {
        $copy = $script:samples['PgPhaseRestore.Engine.Copy.CopyResult']
        @($copy | Where-Object Database -eq $script:svc.SourceDatabase) | Should -HaveCount 1
        $copy.Target | Should -BeLike '*@*'
        @($script:samples['PgPhaseRestore.Engine.Archive.DumpArchive'] | Where-Object DatabaseName -eq $script:svc.SourceDatabase) | Should -HaveCount 1
        $phases = Get-PgDumpToc $script:svc.Archive | Split-PgRestorePhases
        @($phases | Where-Object TableCount -gt 0).Number | Should -Be @(3)
    }
}

Describe 'An edited list file runs' {
    It 'Split-PgRestorePhases -ListDirectory writes the lists; the data phase without one table line loads every table but that one' {
        $lists = Join-Path $TestDrive 'lists'
        $null = Split-PgRestorePhases -Path $script:svc.Archive -ListDirectory $lists
        $files = Get-ChildItem $lists -Filter *.list
        @($files.Name | Sort-Object) | Should -Be @('phase-1-schema.list', 'phase-2-indexes.list', 'phase-3-data.list', 'phase-4-postdata.list')
        $data = Join-Path $lists 'phase-3-data.list'
        $lines = Get-Content $data
        $booking = @($lines | Where-Object { $_ -match '^\d+; \d+ \d+ TABLE DATA app booking ' })
        $booking | Should -HaveCount 1
        $lines | Where-Object { $_ -ne $booking[0] } | Set-Content $data

        $db = New-TestDatabaseName
        $target = "$script:server dbname=$db"
        $first = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection $target -TargetCredential $script:cred -CreateDatabase -NoOwner -Phase 1, 2
        @($first.Phase) | Should -Be @(1, 2)
        $third = Invoke-PgPhaseRestore -Path $script:svc.Archive -ListFile $data -TargetConnection $target -TargetCredential $script:cred -NoOwner
        $third | Should -HaveCount 1
        $third.Phase | Should -Be 3
        "$($third.Status)" | Should -Be 'Succeeded'
        $planned = (Get-PgDumpToc $script:svc.Archive | Split-PgRestorePhases | Where-Object Number -eq 3).EntryCount
        $third.Entries | Should -Be ($planned - 1)
        # The rest of the lists, by a pattern: the post-data phase over the table left empty.
        $fourth = Invoke-PgPhaseRestore -Path $script:svc.Archive -ListFile (Join-Path $lists 'phase-4-*.list') -TargetConnection $target -TargetCredential $script:cred -NoOwner
        "$($fourth.Status)" | Should -Be 'Succeeded'

        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM app.booking' | Should -Be '0'
        Invoke-TestSql $script:svc $script:svc.SourceDatabase 'SELECT count(*) FROM app.booking' | Should -BeGreaterThan 0
        foreach ($table in 'app.customer', 'app.orders', 'app.order_line', 'app.legacy') {
            Invoke-TestSql $script:svc $db "SELECT count(*) FROM $table" | Should -Be (Invoke-TestSql $script:svc $script:svc.SourceDatabase "SELECT count(*) FROM $table") -Because $table
        }
    }

    It 'the lists of phases 1 and 2 without the data phase''s warn of each index and key built late that they leave out' {
        $lists = Join-Path $TestDrive 'late-lists'
        $phases = Split-PgRestorePhases -Path $script:svc.Archive -ListDirectory $lists -MemoryBudget 1GB
        $late = @($phases.LateBuilds | ForEach-Object Entry)
        $late.Count | Should -BeGreaterThan 0 -Because 'the kitchen sink''s indexes fit 1 GB, so Auto builds them after their rows'
        $db = New-TestDatabaseName
        $files = 'phase-1-schema.list', 'phase-2-indexes.list' | ForEach-Object { Join-Path $lists $_ }
        $warned = $null
        $results = Invoke-PgPhaseRestore -Path $script:svc.Archive -ListFile $files -MemoryBudget 1GB -TargetConnection "$script:server dbname=$db" -TargetCredential $script:cred -CreateDatabase -NoOwner -WarningVariable warned -WarningAction SilentlyContinue
        @($results.Status | ForEach-Object ToString) | Should -Be @('Succeeded', 'Succeeded')
        $about = @($warned | Where-Object { "$_" -like '*built after its table''s rows*' })
        $about | Should -HaveCount $late.Count
        foreach ($entry in $late) {
            ($about -join "`n") | Should -Match ([regex]::Escape("$entry")) -Because "$entry is left out"
            $name = ($entry.Name -split ' ')[-1]
            Invoke-TestSql $script:svc $db "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = '$($entry.Schema)' AND indexname = '$name') + (SELECT count(*) FROM pg_constraint WHERE conname = '$name')" |
                Should -Be '0' -Because "$entry was not restored"
        }
        Invoke-TestSql $script:svc $db "SELECT to_regclass('app.customer')::text" | Should -Be 'app.customer'
    }

    It 'Split-PgRestorePhases -ListDirectory -WhatIf writes no list and still writes the four phases' {
        $lists = Join-Path $TestDrive 'whatif-lists'
        $phases = Split-PgRestorePhases -Path $script:svc.Archive -ListDirectory $lists -WhatIf
        @($phases.Number) | Should -Be @(1, 2, 3, 4)
        Test-Path $lists | Should -BeFalse
    }

    It 'refuses a list that names an entry the archive does not have, before anything is created' {
        $list = Join-Path $TestDrive 'foreign.list'
        Set-Content $list @('; from another archive', '99999; 0 0 TABLE DATA app nowhere owner')
        $db = New-TestDatabaseName
        $err = { Invoke-PgPhaseRestore -Path $script:svc.Archive -ListFile $list -TargetConnection $script:server -TargetDatabase $db -TargetCredential $script:cred -CreateDatabase -NoOwner -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.Exception.Message | Should -BeLike '*99999*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($err.Exception.Code)" | Should -Be 'ListFileInvalid'
        $err.ErrorDetails.RecommendedAction | Should -BeLike 'Check -ListFile:*'
        "$err" | Should -BeLike '*99999*Check -ListFile:*'
        Test-DatabaseExists $script:svc $db | Should -BeFalse
    }
}
