using System.Reflection;

/// <summary>Custom attributes read as data (MetadataLoadContext runs nothing), matched by the attribute's type name.</summary>
internal static class Metadata
{
    public static CustomAttributeData? Attribute(this MemberInfo member, string name) =>
        member.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.Name == name);

    public static IEnumerable<CustomAttributeData> Attributes(this MemberInfo member, string name) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType.Name == name);

    public static object? Named(this CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(n => n.MemberName == name).TypedValue.Value;

    /// <summary>The elements of an array argument (params string[], Type[]), empty when it is not one.</summary>
    public static IEnumerable<object?> Elements(this CustomAttributeTypedArgument argument) =>
        argument.Value is IEnumerable<CustomAttributeTypedArgument> values ? values.Select(v => v.Value) : [];
}
