using System.Globalization;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

/// <summary>
/// A parameter's default as its declaration sets it (= 4, = BackupFormat.Custom, = SomeClass.Constant, or
/// = new Options().Property, whose own initializer is read in turn), from the initializer's IL in the parameterless
/// constructor of the class that declares it. Nothing is run. Null when there is none, or when it is computed
/// otherwise (an empty string or array counts as none).
/// </summary>
internal sealed class DefaultValues(MetadataLoadContext context) : IDisposable
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    private readonly Dictionary<string, PEReader> _readers = [];

    public string? Of(PropertyInfo property)
    {
        var type = TypeNames.Unwrapped(property.PropertyType);
        return Initializer(property.DeclaringType!, property.Name, depth: 0) switch
        {
            null or "" => null,
            string s => s,
            var n when type.IsEnum => type.GetFields(BindingFlags.Public | BindingFlags.Static)
                .FirstOrDefault(f => Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture) == Convert.ToInt64(n, CultureInfo.InvariantCulture))?.Name,
            var n when type.FullName == "System.Boolean" => Convert.ToInt64(n, CultureInfo.InvariantCulture) != 0 ? "True" : "False",
            var n => Convert.ToString(n, CultureInfo.InvariantCulture),
        };
    }

    public void Dispose()
    {
        foreach (var reader in _readers.Values)
            reader.Dispose();
    }

    /// <summary>The value the constructor of <paramref name="type"/> stores in the property's backing field, when it is a constant.</summary>
    private object? Initializer(Type type, string property, int depth)
    {
        var constructor = type.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).FirstOrDefault(c => c.GetParameters().Length == 0);
        if (constructor is null || depth > 3 || string.IsNullOrEmpty(type.Assembly.Location))
            return null;
        var pe = Reader(type.Assembly.Location);
        var metadata = pe.GetMetadataReader();
        var definition = metadata.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.EntityHandle(constructor.MetadataToken));
        var il = pe.GetMethodBody(definition.RelativeVirtualAddress).GetILBytes() ?? [];

        // An initializer is `ldarg.0, <expression>, stfld <Property>k__BackingField`; the expression needs no `this`.
        var expression = new List<(OpCode Code, long Operand)>();
        foreach (var (code, operand) in Instructions(il))
        {
            if (code == OpCodes.Nop)
                continue;
            if (code == OpCodes.Ldarg_0)
                expression.Clear();
            else if (code == OpCodes.Stfld && MemberName(metadata, (int)operand) == $"<{property}>k__BackingField")
                return Evaluate(type, metadata, expression, depth);
            else
                expression.Add((code, operand));
        }
        return null;
    }

    private object? Evaluate(Type type, MetadataReader metadata, List<(OpCode Code, long Operand)> expression, int depth)
    {
        // new Options().Property: the property's own initializer in Options.
        if (expression is [(var newobj, var constructor), (var call, var getter)] && newobj == OpCodes.Newobj && (call == OpCodes.Call || call == OpCodes.Callvirt)
            && MemberName(metadata, (int)getter) is { } name && name.StartsWith("get_", StringComparison.Ordinal)
            && DeclaringType(type, metadata, (int)constructor) is { } options)
            return Initializer(options, name["get_".Length..], depth + 1);
        // A constant, widened (conv.i8) or wrapped in a Nullable.
        if (expression.Count == 0 || Constant(metadata, expression[0]) is not { } value)
            return null;
        return expression.Skip(1).All(i => i.Code == OpCodes.Conv_I8 || i.Code == OpCodes.Conv_U8 || i.Code == OpCodes.Conv_R8
            || (i.Code == OpCodes.Newobj && IsNullableConstructor(metadata, (int)i.Operand))) ? value : null;
    }

    /// <summary>Whether <paramref name="token"/> is a constructor of Nullable&lt;T&gt;: `long? x = 5` stores new long?(5).</summary>
    private static bool IsNullableConstructor(MetadataReader metadata, int token)
    {
        if (MetadataTokens.EntityHandle(token) is not { Kind: HandleKind.MemberReference } handle
            || metadata.GetMemberReference((MemberReferenceHandle)handle).Parent is not { Kind: HandleKind.TypeSpecification } parent)
            return false;
        var blob = metadata.GetBlobReader(metadata.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
        if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance || blob.ReadSignatureTypeCode() != SignatureTypeCode.TypeHandle)
            return false;
        var generic = blob.ReadTypeHandle();
        return generic.Kind == HandleKind.TypeReference
            && metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)generic).Name) == "Nullable`1"
            && metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)generic).Namespace) == "System";
    }

    private static object? Constant(MetadataReader metadata, (OpCode Code, long Operand) i)
    {
        if (i.Code == OpCodes.Ldstr)
            return metadata.GetUserString(MetadataTokens.UserStringHandle((int)i.Operand & 0xFFFFFF));
        if (i.Code == OpCodes.Ldc_I4_M1)
            return -1;
        if (i.Code.Value >= OpCodes.Ldc_I4_0.Value && i.Code.Value <= OpCodes.Ldc_I4_8.Value)
            return i.Code.Value - OpCodes.Ldc_I4_0.Value;
        if (i.Code == OpCodes.Ldc_I4_S)
            return (int)(sbyte)i.Operand;
        if (i.Code == OpCodes.Ldc_I4)
            return (int)i.Operand;
        if (i.Code == OpCodes.Ldc_I8)
            return i.Operand;
        if (i.Code == OpCodes.Ldc_R4)
            return BitConverter.Int32BitsToSingle((int)i.Operand);
        if (i.Code == OpCodes.Ldc_R8)
            return BitConverter.Int64BitsToDouble(i.Operand);
        return null;
    }

    /// <summary>The IL as (opcode, operand) pairs; operands of up to 8 bytes, little-endian, switch tables skipped.</summary>
    private static IEnumerable<(OpCode Code, long Operand)> Instructions(byte[] il)
    {
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var code = OpCodesByValue[value];
            int size = code.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4,
            };
            long operand = 0;
            for (int b = Math.Min(size, 8) - 1; b >= 0; b--)
                operand = (operand << 8) | il[at + b];
            at += size;
            yield return (code, operand);
        }
    }

    private static string? MemberName(MetadataReader metadata, int token) => MetadataTokens.EntityHandle(token) switch
    {
        { Kind: HandleKind.FieldDefinition } h => metadata.GetString(metadata.GetFieldDefinition((FieldDefinitionHandle)h).Name),
        { Kind: HandleKind.MethodDefinition } h => metadata.GetString(metadata.GetMethodDefinition((MethodDefinitionHandle)h).Name),
        { Kind: HandleKind.MemberReference } h => metadata.GetString(metadata.GetMemberReference((MemberReferenceHandle)h).Name),
        _ => null,
    };

    /// <summary>The class whose parameterless constructor <paramref name="token"/> calls, from this assembly or one it references.</summary>
    private Type? DeclaringType(Type from, MetadataReader metadata, int token)
    {
        var handle = MetadataTokens.EntityHandle(token);
        if (handle.Kind == HandleKind.MethodDefinition)
        {
            var method = metadata.GetMethodDefinition((MethodDefinitionHandle)handle);
            var owner = metadata.GetTypeDefinition(method.GetDeclaringType());
            return method.GetParameters().Count == 0 ? from.Assembly.GetType($"{metadata.GetString(owner.Namespace)}.{metadata.GetString(owner.Name)}") : null;
        }
        if (handle.Kind != HandleKind.MemberReference)
            return null;
        var reference = metadata.GetMemberReference((MemberReferenceHandle)handle);
        var signature = metadata.GetBlobReader(reference.Signature);
        signature.ReadSignatureHeader();
        if (signature.ReadCompressedInteger() != 0 || reference.Parent.Kind != HandleKind.TypeReference)
            return null;
        var type = metadata.GetTypeReference((TypeReferenceHandle)reference.Parent);
        if (type.ResolutionScope.Kind != HandleKind.AssemblyReference)
            return null;
        var assembly = metadata.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).GetAssemblyName();
        return context.LoadFromAssemblyName(assembly).GetType($"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}");
    }

    private PEReader Reader(string path)
    {
        if (!_readers.TryGetValue(path, out var reader))
            _readers[path] = reader = new PEReader(File.OpenRead(path));
        return reader;
    }
}
