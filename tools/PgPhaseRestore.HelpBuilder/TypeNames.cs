/// <summary>
/// Type names as PowerShell shows them: Int64 for long and long?, String[] for string[], an enum or a class by its own
/// name (RestoreStrategy, PSCredential, Hashtable), a generic as Name[Argument]; never Nullable`1.
/// </summary>
internal static class TypeNames
{
    /// <summary>The short name shown in SYNTAX and PARAMETERS: Int64, String[], PSCredential.</summary>
    public static string Short(Type type) => Name(type, t => t.Name);

    /// <summary>The full name for the MAML type element: System.Int64, System.String[], System.Management.Automation.PSCredential.</summary>
    public static string Full(Type type) => Name(type, t => (t.IsGenericType ? t.GetGenericTypeDefinition() : t).FullName ?? t.Name);

    /// <summary>What a parameter holds once Nullable is taken off: long? is long.</summary>
    public static Type Unwrapped(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1" ? type.GetGenericArguments()[0] : type;

    private static string Name(Type type, Func<Type, string> name)
    {
        type = Unwrapped(type);
        if (type.IsArray)
            return Name(type.GetElementType()!, name) + "[]";
        if (!type.IsGenericType)
            return name(type);
        var plain = name(type);
        return $"{plain[..plain.IndexOf('`')]}[{string.Join(",", type.GetGenericArguments().Select(a => Name(a, name)))}]";
    }
}
