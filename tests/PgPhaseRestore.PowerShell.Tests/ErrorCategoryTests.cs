using System.Reflection;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>Every kind of engine failure has a category of its own, given in one place (ErrorRecords.CategoryOf).</summary>
public sealed class ErrorCategoryTests : IClassFixture<CmdletMetadata>
{
    private readonly CmdletMetadata _m;

    public ErrorCategoryTests(CmdletMetadata metadata) => _m = metadata;

    [Fact]
    public void Each_kind_maps_to_the_category_PowerShell_users_filter_on()
    {
        var cmdlets = BuildOutputContext.LoadCmdlets(_m.ModuleDirectory);
        var categoryOf = cmdlets.GetType("PgPhaseRestore.PowerShell.Infrastructure.ErrorRecords", throwOnError: true)!
            .GetMethod("CategoryOf", BindingFlags.Public | BindingFlags.Static)!;
        var kinds = categoryOf.GetParameters()[0].ParameterType.GetGenericArguments()[0];
        var mapped = Enum.GetNames(kinds).ToDictionary(k => k, k => categoryOf.Invoke(null, [Enum.Parse(kinds, k)])!.ToString());

        Assert.Equal(new Dictionary<string, string?>
        {
            ["Failed"] = "WriteError",
            ["InvalidInput"] = "InvalidArgument",
            ["Connection"] = "ConnectionError",
            ["Authentication"] = "AuthenticationError",
            ["Permission"] = "PermissionDenied",
            ["NotFound"] = "ObjectNotFound",
            ["DamagedArchive"] = "InvalidData",
            ["AlreadyExists"] = "ResourceExists",
            ["Conflict"] = "InvalidOperation",
            ["Busy"] = "ResourceBusy",
            ["Cancelled"] = "OperationStopped",
        }, mapped);
    }
}
