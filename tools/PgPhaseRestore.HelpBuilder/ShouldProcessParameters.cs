/// <summary>
/// -WhatIf and -Confirm, which PowerShell adds to a cmdlet that supports ShouldProcess: its own help lists them in
/// SYNTAX and PARAMETERS, after the cmdlet's parameters. The other common parameters are PowerShell's [&lt;CommonParameters&gt;].
/// </summary>
internal static class ShouldProcessParameters
{
    public static IReadOnlyList<CmdletParameter> Of(Type cmdlet)
    {
        if (cmdlet.Attribute("CmdletAttribute")?.Named("SupportsShouldProcess") is not true)
            return [];
        var sma = cmdlet;
        while (sma.Namespace != "System.Management.Automation")
            sma = sma.BaseType!;
        var switchType = sma.Assembly.GetType("System.Management.Automation.SwitchParameter", throwOnError: true)!;
        ParameterDeclaration[] everywhere = [new(ParameterSets.All, false, null, false, false)];
        return
        [
            new("WhatIf", switchType, true, everywhere, ["wi"], false, "Shows what the cmdlet would do, without doing it.", "False"),
            new("Confirm", switchType, true, everywhere, ["cf"], false, "Asks for confirmation before the cmdlet changes anything.", "False"),
        ];
    }
}
