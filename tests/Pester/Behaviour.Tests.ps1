# How the cmdlets behave for a PowerShell user beyond their results: Ctrl+C in a console and a runbook stop, results
# and progress as a restore goes, debug records, Test-PgPhaseRestore's verdict as an error or a bool, and completion.
# Every outcome is read back from the target server or from the processes left running.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $script:Manifest -Force
    $script:svc = Start-TestServices

    # An archive whose data phase runs for many seconds: a million rows whose three indexes are maintained as they load.
    $script:bigDb = New-TestDatabaseName 'pester_big'
    $null = Invoke-TestSql $script:svc 'postgres' "CREATE DATABASE $script:bigDb"
    $null = Invoke-TestSql $script:svc $script:bigDb @'
CREATE TABLE big (id int PRIMARY KEY, a text NOT NULL, b text NOT NULL);
INSERT INTO big SELECT g, md5(g::text), md5((g * 7)::text) FROM generate_series(1, 1000000) g;
CREATE INDEX big_a ON big (a);
CREATE INDEX big_b ON big (b);
'@
    $script:bigArchive = Join-Path $script:svc.WorkFolder "$script:bigDb.dump"
    $dump = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $script:svc.PgBinDir 'pg_dump'))
    foreach ($a in @('-Fc', '-h', $script:svc.Host, '-p', "$($script:svc.Port)", '-U', $script:svc.User, '-f', $script:bigArchive, $script:bigDb)) { $dump.ArgumentList.Add($a) }
    $dump.Environment['PGPASSWORD'] = $script:svc.PlainPassword
    $p = [System.Diagnostics.Process]::Start($dump)
    $p.WaitForExit()
    if ($p.ExitCode -ne 0) { throw "pg_dump of $script:bigDb failed" }

    function Wait-DataPhase([string] $Database, [System.Diagnostics.Process] $Process) {
        <# Until pg_restore is loading rows into the target: the moment a stop is most likely to leave something behind. #>
        $deadline = [DateTime]::UtcNow.AddMinutes(3)
        while ([DateTime]::UtcNow -lt $deadline) {
            if ($Process -and $Process.HasExited) { throw "the restoring pwsh ended before the data phase (exit code $($Process.ExitCode))" }
            $copying = Invoke-TestSql $script:svc 'postgres' "SELECT count(*) FROM pg_stat_activity WHERE datname = '$Database' AND query LIKE 'COPY %' AND state = 'active'"
            if ([int]$copying -gt 0) { return }
            Start-Sleep -Milliseconds 100
        }
        throw "pg_restore never started loading rows into $Database"
    }

    function New-RestoreRunspace([string] $Archive, [string] $Database) {
        <# A restore into a new database, in a runspace of its own that imports the module as a runbook's does. #>
        $ps = [powershell]::Create()
        $null = $ps.AddCommand('Import-Module').AddArgument($script:Manifest).AddStatement().AddCommand('Invoke-PgPhaseRestore').AddParameters(@{
                Path = $Archive; TargetConnection = "$($script:svc.Server) dbname=$Database"; TargetCredential = $script:svc.Credential; CreateDatabase = $true; NoOwner = $true
            })
        $ps
    }

    function Get-RestoreProcesses([string] $Database) {
        <# pg_restore processes still working for this target or on the test's archive, found by their command lines. #>
        Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$' | ForEach-Object {
            $cmdline = try { [IO.File]::ReadAllText("/proc/$($_.Name)/cmdline") } catch { '' }
            if ($cmdline -like '*pg_restore*' -and ($cmdline -like "*$Database*" -or $cmdline -like "*$script:bigArchive*")) { [int]$_.Name }
        }
    }

    function Assert-NothingLeft([string] $Database) {
        Get-RestoreProcesses $Database | Should -BeNullOrEmpty -Because 'a stopped restore leaves no pg_restore running'
        # The server ends a backend once its client is gone; give it the time its own clean-up takes.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            $sessions = [int](Invoke-TestSql $script:svc 'postgres' "SELECT count(*) FROM pg_stat_activity WHERE datname = '$Database'")
            if ($sessions -eq 0) { break }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        $sessions | Should -Be 0 -Because 'no session of the stopped restore stays on the target'
    }
}

AfterAll {
    Stop-TestServices $script:svc
}

Describe 'Stopping a restore' {
    It 'returns the console prompt within 2 s of Ctrl+C, with progress shown, and leaves nothing running' {
        $db = New-TestDatabaseName
        $work = (New-Item -ItemType Directory -Path (Join-Path $script:svc.WorkFolder "ctrlc-$db")).FullName
        $ended = Join-Path $work 'ended'
        $runner = Join-Path $work 'restore.ps1'
        # The password comes through the environment, as a runbook's variables would; never on a command line.
        Set-Content -Path $runner -Value @"
`$ProgressPreference = 'Continue'
Import-Module '$script:Manifest'
`$cred = [pscredential]::new('$($script:svc.User)', (ConvertTo-SecureString `$env:PESTER_PGPASSWORD -AsPlainText -Force))
try {
    Invoke-PgPhaseRestore -Path '$script:bigArchive' -TargetConnection '$($script:svc.Server) dbname=$db' -TargetCredential `$cred -CreateDatabase -NoOwner
} finally {
    [IO.File]::WriteAllText('$ended', [DateTime]::UtcNow.Ticks.ToString())
}
"@
        # A real terminal: tmux draws the progress bar and answers the console's queries as a terminal does, and
        # Ctrl+C pressed in it is SIGINT for its whole foreground process group, pwsh and pg_restore alike. The
        # password reaches pwsh through the environment of the tmux server this test starts, never a command line.
        $socket = "pgphase-$db"
        $psi = [System.Diagnostics.ProcessStartInfo]::new('tmux')
        foreach ($a in @('-L', $socket, 'new-session', '-d', '-s', 'restore', '-x', '160', '-y', '40', "'$script:Pwsh' -NoProfile -File '$runner'; sleep 600")) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PESTER_PGPASSWORD'] = $script:svc.PlainPassword
        $psi.Environment['TERM'] = 'xterm-256color'
        $psi.UseShellExecute = $false
        $start = [System.Diagnostics.Process]::Start($psi)
        $start.WaitForExit()
        $start.ExitCode | Should -Be 0 -Because 'tmux starts the session'
        try {
            Wait-DataPhase $db $null
            $screen = (& tmux -L $socket capture-pane -p -t restore) -join "`n"
            $pressed = [DateTime]::UtcNow
            & tmux -L $socket send-keys -t restore C-c
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path $ended) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            Test-Path $ended | Should -BeTrue -Because 'Ctrl+C stopped the restore, and the script''s finally block ran'
            $back = [DateTime]::new([long](Get-Content $ended), [DateTimeKind]::Utc)
            ($back - $pressed).TotalSeconds | Should -BeLessThan 2
            $screen | Should -Match 'Restoring' -Because 'the progress bar was on the terminal while the restore ran'
            $after = (& tmux -L $socket capture-pane -p -t restore) -join "`n"
            $after | Should -Not -Match ([regex]::Escape($script:svc.PlainPassword))
            Assert-NothingLeft $db
        } finally {
            & tmux -L $socket kill-server 2>$null
        }
    }

    It 'stops within 2 s when its runspace is stopped, as a runbook stop does, and leaves nothing running' {
        $db = New-TestDatabaseName
        $ps = New-RestoreRunspace $script:bigArchive $db
        try {
            $async = $ps.BeginInvoke()
            Wait-DataPhase $db $null
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # PowerShell signals the invocation's end just after its state says Stopped: waited for, not sampled.
            $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(2)) | Should -BeTrue
            Assert-NothingLeft $db
        } finally {
            $ps.Dispose()
        }
    }
}

Describe 'A restore as it goes' {
    It 'writes each phase result as its phase ends: the first result reaches the next command before phase 4 runs' {
        $db = New-TestDatabaseName
        # Select-Object -First 1 stops the restore as soon as one result arrives; were results written at the end,
        # all four phases would have run by then.
        $first = Invoke-PgPhaseRestore -Path $script:bigArchive -TargetConnection "$($script:svc.Server) dbname=$db" -TargetCredential $script:svc.Credential -CreateDatabase -NoOwner |
            Select-Object -First 1
        $first.Phase | Should -Be 1
        $first.Status.ToString() | Should -Be 'Succeeded'
        Invoke-TestSql $script:svc $db "SELECT count(*) FROM pg_class WHERE relname = 'big'" | Should -Be 1
        Invoke-TestSql $script:svc $db 'SELECT count(*) FROM big' | Should -BeLessThan 1000000 -Because 'the data phase never finished'
        Assert-NothingLeft $db
    }

    It 'writes one progress record per update, each phase''s bar completed as the phase ends, and the whole bar at the end' {
        $db = New-TestDatabaseName
        $ps = New-RestoreRunspace $script:svc.Archive $db
        try {
            $results = $ps.Invoke()
            $ps.HadErrors | Should -BeFalse
            $results | Should -HaveCount 4
            $records = @($ps.Streams.Progress)
        } finally {
            $ps.Dispose()
        }
        $parents = @($records | Where-Object { $_.ActivityId -eq 1 -and $_.RecordType -eq 'Processing' })
        $parents.Count | Should -BeGreaterThan 1
        # Distinct records, each keeping the state it was written with.
        @($parents | ForEach-Object { [System.Runtime.CompilerServices.RuntimeHelpers]::GetHashCode($_) } | Select-Object -Unique).Count | Should -Be $parents.Count
        @($parents.StatusDescription | Select-Object -Unique).Count | Should -BeGreaterThan 1 -Because 'records read back show the phase each was written in'
        $parents[0].StatusDescription | Should -Match 'phase 1 of 4'
        $childEnds = @($records | Where-Object { $_.ActivityId -eq 2 -and $_.RecordType -eq 'Completed' })
        foreach ($n in 1..4) { @($childEnds | Where-Object Activity -like "Phase $n *").Count | Should -Be 1 -Because "phase $n's bar ends when phase $n does" }
        $records[-1].ActivityId | Should -Be 1
        $records[-1].RecordType | Should -Be 'Completed'
    }

    It 'writes the pg_restore command lines as debug records, without the password' {
        $db = New-TestDatabaseName
        # As -Debug does, without its prompt for every record.
        $DebugPreference = 'Continue'
        $out = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$db" -TargetCredential $script:svc.Credential -CreateDatabase -NoOwner 5>&1
        $debug = @($out | Where-Object { $_ -is [System.Management.Automation.DebugRecord] })
        # By type name: the module's types live in its own load context, where [type] literals do not look.
        @($out | Where-Object { $_.PSObject.TypeNames -contains 'PgPhaseRestore.Engine.Restore.PhaseResult' }) | Should -HaveCount 4
        @($debug | Where-Object Message -like 'pg_restore *').Count | Should -BeGreaterOrEqual 4 -Because 'each phase runs pg_restore at least once'
        ($debug.Message -join "`n") | Should -Not -Match ([regex]::Escape($script:svc.PlainPassword))
    }
}

Describe 'Test-PgPhaseRestore''s verdict' {
    BeforeAll {
        $script:half = New-TestDatabaseName
        $null = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:half" -TargetCredential $script:svc.Credential -CreateDatabase -NoOwner -Phase 1
        $script:whole = New-TestDatabaseName
        $null = Invoke-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:whole" -TargetCredential $script:svc.Credential -CreateDatabase -NoOwner
    }

    It 'writes an error a script notices on a target that differs, and still returns the differences' {
        $result = Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:half" -TargetCredential $script:svc.Credential -ErrorVariable errors -ErrorAction SilentlyContinue
        $result.IsMatch | Should -BeFalse
        $result.Differences.Count | Should -BeGreaterThan 0
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.VerificationFailed,*'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $errors[0].TargetObject | Should -Be $result
        $errors[0].ToString() | Should -Not -Match "`n"
        # What to check first: the database named, then the restore.
        $errors[0].ErrorDetails.RecommendedAction | Should -Match '(?<![\w-])-TargetConnection\b'
        $errors[0].ToString() | Should -BeLike "*$($errors[0].ErrorDetails.RecommendedAction)"

        $stopped = $null
        try {
            $null = Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:half" -TargetCredential $script:svc.Credential -ErrorAction Stop
        } catch {
            $stopped = $_
        }
        $stopped | Should -Not -BeNullOrEmpty -Because '-ErrorAction Stop, as a runbook sets it, must stop on a mismatch'
        $stopped.FullyQualifiedErrorId | Should -BeLike 'PgPhaseRestore.VerificationFailed,*'
    }

    It 'writes no error on a target that matches' {
        $result = Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:whole" -TargetCredential $script:svc.Credential -ErrorVariable errors
        $result.IsMatch | Should -BeTrue
        $errors | Should -HaveCount 0
    }

    It 'without a source, finds the tables a stopped or skipped data phase left empty: every object in place is no match' {
        # Phases 1, 2 and 4: every index, key and trigger is there, and no row.
        $empty = New-TestDatabaseName
        $null = Split-PgRestorePhases -Path $script:svc.Archive | Where-Object Number -ne 3 |
            Invoke-PgPhaseRestore -TargetConnection "$($script:svc.Server) dbname=$empty" -TargetCredential $script:svc.Credential -CreateDatabase -NoOwner
        Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$empty" -TargetCredential $script:svc.Credential -Quiet |
            Should -BeExactly $false
        $result = Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$empty" -TargetCredential $script:svc.Credential -ErrorAction SilentlyContinue
        @($result.Differences | Where-Object Kind -ne 'RowCount') | Should -BeNullOrEmpty
        $customer = @($result.Differences | Where-Object { $_.Schema -eq 'app' -and $_.Name -eq 'customer' })
        $customer | Should -HaveCount 1
        $customer[0].Actual | Should -Be '0 rows'
        $customer[0].Expected | Should -Match '^rows \(\d'
    }

    It 'returns only a bool with -Quiet, and no error' {
        $verdict = Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:half" -TargetCredential $script:svc.Credential -Quiet -ErrorVariable errors
        $verdict | Should -BeOfType [bool]
        $verdict | Should -BeFalse
        $errors | Should -HaveCount 0
        Test-PgPhaseRestore -Path $script:svc.Archive -TargetConnection "$($script:svc.Server) dbname=$script:whole" -TargetCredential $script:svc.Credential -Quiet | Should -BeExactly $true
    }
}

Describe 'Database name completion' {
    It 'completes with a credential made by <How>' -ForEach @(
        @{ How = 'the PSCredential constructor'; Make = { param($u, $p) [pscredential]::new($u, $p) } }
        @{ How = 'New-Object'; Make = { param($u, $p) New-Object System.Management.Automation.PSCredential($u, $p) } }
        @{ How = 'a pipeline'; Make = { param($u, $p) [pscredential]::new($u, $p) | Write-Output } }
    ) {
        $global:PesterCompletionCredential = & $Make $script:svc.User (ConvertTo-SecureString $script:svc.PlainPassword -AsPlainText -Force)
        try {
            $prefix = $script:svc.SourceDatabase.Substring(0, $script:svc.SourceDatabase.Length - 2)
            $line = "Get-PgDatabase -ServerConnection '$($script:svc.Server)' -ServerCredential `$global:PesterCompletionCredential -Name $prefix"
            $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $completions.CompletionMatches.CompletionText | Should -Contain $script:svc.SourceDatabase
        } finally {
            Remove-Variable -Name PesterCompletionCredential -Scope Global
        }
    }
}
