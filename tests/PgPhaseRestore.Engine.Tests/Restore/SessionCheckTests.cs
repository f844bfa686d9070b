using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// The session settings and role a restore's sessions start with are tried on the server before anything is
/// created: as pg_restore's PGOPTIONS give them (escaped values included), and a refusal names the option.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class SessionCheckTests(Services services)
{
    private readonly PostgresCluster _cluster = services.Postgres;

    private RestoreOptions Options(Dictionary<string, string>? settings = null, string? role = null) => new()
    {
        Target = _cluster.ConnectionTo("no_such_target_yet"), SessionSettings = settings ?? [], Role = role,
    };

    [Fact]
    public async Task Settings_the_server_takes_pass_with_their_values_as_given()
    {
        await SessionCheck.RunAsync(Options(new() { ["work_mem"] = "64MB", ["application_name"] = "nächtlich 1", ["synchronous_commit"] = "off", ["pg_trgm.similarity_threshold"] = "0.3" }),
            CancellationToken.None);
        await SessionCheck.RunAsync(Options(role: _cluster.Scalar<string>("postgres", "SELECT current_user")), CancellationToken.None);
    }

    [Theory]
    [InlineData("no_such_setting", "1", "unrecognized configuration parameter \"no_such_setting\"")]
    [InlineData("work_mem", "lots", "invalid value for parameter \"work_mem\": \"lots\"")]
    public async Task A_setting_the_server_refuses_names_the_session_settings(string name, string value, string why)
    {
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => SessionCheck.RunAsync(Options(new() { [name] = value }), CancellationToken.None));
        Assert.Equal((PgPhaseErrorCode.InvalidInput, nameof(RestoreOptions.SessionSettings)), (ex.Code, ex.Option));
        Assert.Equal($"the session settings are refused by the server: {why}; nothing was created", ex.Message);
    }

    [Fact]
    public async Task A_role_that_does_not_exist_names_the_role()
    {
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => SessionCheck.RunAsync(Options(role: "no_such_role_check"), CancellationToken.None));
        Assert.Equal((PgPhaseErrorCode.InvalidInput, nameof(RestoreOptions.Role)), (ex.Code, ex.Option));
        Assert.Equal("role \"no_such_role_check\" cannot be set: role \"no_such_role_check\" does not exist; nothing was created", ex.Message);
    }
}
