using System.Management.Automation;
using System.Management.Automation.Host;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// ShouldProcess for one operation of a cmdlet whose declared ConfirmImpact is lower: a restore into a new database
/// is Medium, but replacing a live database is High and must ask as a High cmdlet would. PowerShell asks a High
/// cmdlet whenever $ConfirmPreference is not None (its default is High); -Confirm:$false, -WhatIf and -Confirm keep
/// their meaning. Every confirmation of the module goes through <see cref="Ask"/>: a host that cannot prompt ends
/// the command with a record that says how to confirm on the command line.
/// </summary>
internal static class HighImpact
{
    /// <summary>True when the operation may go ahead: ShouldProcess agreed and, unless -Confirm was given, the user confirmed.</summary>
    public static bool ShouldProcess(PSCmdlet cmdlet, string target, string action)
    {
        if (!Ask(cmdlet, target, () => cmdlet.ShouldProcess(target, action)))
            return false;
        // -Confirm (either way) has already been honoured by ShouldProcess: it asked, or the user said not to.
        if (cmdlet.MyInvocation.BoundParameters.ContainsKey("Confirm"))
            return true;
        var preference = cmdlet.SessionState.PSVariable.GetValue("ConfirmPreference", ConfirmImpact.High);
        if (!LanguagePrimitives.TryConvertTo(preference, out ConfirmImpact level))
            level = ConfirmImpact.High;
        // None: nothing asks. At or below the cmdlet's own impact: ShouldProcess has just asked.
        var declared = cmdlet.GetType().GetCustomAttributes(typeof(CmdletAttribute), inherit: true).OfType<CmdletAttribute>().Single().ConfirmImpact;
        if (level == ConfirmImpact.None || level <= declared)
            return true;
        return Ask(cmdlet, target, () => cmdlet.ShouldContinue($"{action}\nTarget: {target}", "Confirm"));
    }

    /// <summary>
    /// Asks (ShouldProcess, ShouldContinue). A session that cannot prompt makes PowerShell throw from the prompt:
    /// -NonInteractive, a runbook or a job throw that they cannot ask, and a console host whose input is closed (cron,
    /// a scheduler, stdin from /dev/null) fails reading the answer (a NullReferenceException of its own). Either way
    /// that is no failure of the operation, which has not started, but a confirmation to give on the command line,
    /// and the record says so.
    /// </summary>
    public static bool Ask(PSCmdlet cmdlet, object target, Func<bool> ask)
    {
        try
        {
            return ask();
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or HostException or NullReferenceException && ex is not PipelineStoppedException)
        {
            const string Message = "this change asks for confirmation, and this PowerShell session cannot ask (NonInteractive, a runbook, a job, or no console input); nothing was changed";
            cmdlet.ThrowTerminatingError(new ErrorRecord(new PSInvalidOperationException(Message, ex), ErrorRecords.ConfirmationNeeded, ErrorCategory.InvalidOperation, target)
            {
                ErrorDetails = new ErrorDetails(Message) { RecommendedAction = "Add -Confirm:$false to confirm the change on the command line, or -WhatIf to see what it would do." },
            });
            return false;
        }
    }
}
