using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// ShouldProcess for one operation of a cmdlet whose declared ConfirmImpact is lower: a restore into a new database
/// is Medium, but replacing a live database is High and must ask as a High cmdlet would. PowerShell asks a High
/// cmdlet whenever $ConfirmPreference is not None (its default is High); -Confirm:$false, -WhatIf and -Confirm keep
/// their meaning.
/// </summary>
internal static class HighImpact
{
    /// <summary>True when the operation may go ahead: ShouldProcess agreed and, unless -Confirm was given, the user confirmed.</summary>
    public static bool ShouldProcess(PSCmdlet cmdlet, string target, string action)
    {
        if (!cmdlet.ShouldProcess(target, action))
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
        return cmdlet.ShouldContinue($"{action}\nTarget: {target}", "Confirm");
    }
}
