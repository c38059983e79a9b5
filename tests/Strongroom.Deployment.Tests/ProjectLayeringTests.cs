using System.Text.RegularExpressions;
using System.Xml.Linq;
using Strongroom.Deployment.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The project graph is the one docs/DESIGN.md ("Project layering") allows, read from every project
/// file under libs/, services/, tools/, tests/, bench/ and fuzz/; the planted cases prove each rule
/// can fail.
/// </summary>
public sealed partial class ProjectLayeringTests
{
    private const string Client = "libs/Strongroom.Client/Strongroom.Client.csproj";
    private const string Requests = "libs/Strongroom.Requests/Strongroom.Requests.csproj";

    private static readonly ProjectGraph Repository = ProjectGraph.LoadRepository();

    [Fact]
    public void The_graph_holds_every_project_of_the_code_folders()
    {
        Assert.Contains(Client, Repository.Projects.Keys);
        Assert.Contains(LayeringRules.Hosting, Repository.Projects.Keys);
        Assert.Contains("libs/Strongroom.Transport/Strongroom.Transport.csproj", Repository.Projects.Keys);
        Assert.Contains("services/storage/Strongroom.Storage.csproj", Repository.Projects.Keys);
        Assert.Contains("fuzz/Strongroom.Fuzz/Strongroom.Fuzz.csproj", Repository.Projects.Keys);
        Assert.Contains(LayeringRules.Cli, Repository.Projects.Keys);
    }

    [Fact]
    public void No_project_reference_crosses_a_forbidden_layer()
    {
        var violations = LayeringRules.Violations(Repository, LayeringRules.CliAllowList);

        Assert.True(violations.Count == 0, "forbidden references:\n  " + string.Join("\n  ", violations));
    }

    [Fact]
    public void Every_allow_listed_cli_reference_still_exists_so_the_list_only_shrinks()
    {
        var edges = LayeringRules.Edges(Repository).ToHashSet();

        var gone = LayeringRules.CliAllowList.Where(e => !edges.Contains(e)).Select(e => e.ToString()).ToList();

        Assert.True(gone.Count == 0, "delete from LayeringRules.CliAllowList (the edge is gone):\n  " + string.Join("\n  ", gone));
    }

    [Fact]
    public void Without_the_allow_list_each_cli_reference_but_the_cli_tests_is_reported()
    {
        var violations = LayeringRules.Violations(Repository, new HashSet<ProjectEdge>());

        Assert.Equal(LayeringRules.CliAllowList.Count, violations.Count);
        Assert.All(LayeringRules.CliAllowList, e => Assert.Contains(violations, v => v.StartsWith(e + ":", StringComparison.Ordinal)));
        Assert.DoesNotContain(violations, v => v.StartsWith("tests/Strongroom.Cli.Tests/", StringComparison.Ordinal));
    }

    [Fact]
    public void A_planted_hosting_reference_from_the_sdk_is_reported()
    {
        var planted = Repository.With(Plant(Client, "ProjectReference", "$(RepoRoot)libs/Strongroom.Hosting/Strongroom.Hosting.csproj"));

        var violations = LayeringRules.Violations(planted, LayeringRules.CliAllowList);

        // Reported for the SDK, and for each library built on it (the operator library), through the SDK.
        Assert.Contains(violations, v => v.StartsWith($"{Client} -> {LayeringRules.Hosting}: a client library must not reference server hosting", StringComparison.Ordinal));
        Assert.All(violations, v => Assert.Contains($"{Client} -> {LayeringRules.Hosting}:", v, StringComparison.Ordinal));
    }

    [Fact]
    public void A_hosting_reference_planted_in_a_library_the_sdk_uses_is_reported_for_the_sdk_too()
    {
        var planted = Repository.With(Plant(Requests, "ProjectReference", "$(RepoRoot)libs/Strongroom.Hosting/Strongroom.Hosting.csproj"));

        var violations = LayeringRules.Violations(planted, LayeringRules.CliAllowList);

        Assert.Contains(violations, v => v.StartsWith($"{Requests} -> {LayeringRules.Hosting}:", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith($"{Client} -> {Requests} -> {LayeringRules.Hosting}:", StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string, string> PlantedReferences => new()
    {
        // Project, item, include, what the report says.
        { "libs/Strongroom.KeyLog/Strongroom.KeyLog.csproj", "FrameworkReference", "Microsoft.AspNetCore.App", "must not bring in ASP.NET Core (Microsoft.AspNetCore.App)" },
        { "libs/Strongroom.Transport/Strongroom.Transport.csproj", "PackageReference", "Grpc.AspNetCore", "must not bring in ASP.NET Core (Grpc.AspNetCore)" },
        { "libs/Strongroom.KmsClient/Strongroom.KmsClient.csproj", "ProjectReference", "$(RepoRoot)libs/Strongroom.Hosting/Strongroom.Hosting.csproj", "must not reference server hosting" },
        { Requests, "ProjectReference", "$(RepoRoot)services/storage/Strongroom.Storage.csproj", "a library must not reference a service" },
        { "services/runner/Strongroom.Runner.csproj", "ProjectReference", "$(RepoRoot)services/storage/Strongroom.Storage.csproj", "a service must not reference another service's project" },
        { "services/edge/Strongroom.Edge.csproj", "ProjectReference", "$(RepoRoot)tests/Strongroom.Testing/Strongroom.Testing.csproj", "a service must not reference tests/" },
        { LayeringRules.Cli, "ProjectReference", "$(RepoRoot)services/kms/Strongroom.Kms.csproj", "a tool must not reference services/" },
        { "tests/Strongroom.Hosting.Tests/Strongroom.Hosting.Tests.csproj", "ProjectReference", "$(RepoRoot)tools/Strongroom.Cli/Strongroom.Cli.csproj", "nothing but the CLI's own tests may reference the CLI" },
    };

    [Theory]
    [MemberData(nameof(PlantedReferences))]
    public void A_planted_forbidden_reference_is_reported(string project, string item, string include, string report)
    {
        Assert.Empty(LayeringRules.Violations(Repository, LayeringRules.CliAllowList));
        var planted = Repository.With(Plant(project, item, include));

        var violations = LayeringRules.Violations(planted, LayeringRules.CliAllowList);

        Assert.Contains(violations, v => v.StartsWith(project, StringComparison.Ordinal) && v.Contains(report, StringComparison.Ordinal));
    }

    [Fact]
    public void The_sdk_and_hosting_share_transport_and_the_sdk_never_reaches_hosting()
    {
        var transport = "libs/Strongroom.Transport/Strongroom.Transport.csproj";
        Assert.Contains(transport, Repository.Projects[LayeringRules.Hosting].ProjectReferences);
        Assert.Contains(transport, Repository.Projects[Client].ProjectReferences);
        Assert.DoesNotContain(LayeringRules.Hosting, Repository.Reachable(Client).Keys);
    }

    // A gRPC client, call or status: what the envelope checks must not touch.
    [GeneratedRegex(@"\busing Grpc\.|\bRpcException\b|\bCallInvoker\b|\.\w+Client\b|\bStrongroom\.Requests\.Lookup\b")]
    private static partial Regex GrpcClientUse();

    [Fact]
    public void The_envelope_checks_in_requests_call_no_service_only_lookup_does()
    {
        var folder = Path.Combine(RepoPaths.Root, "libs", "Strongroom.Requests");
        var sources = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"))
            .ToList();
        Assert.Contains("RequestVerifier.cs", sources);
        Assert.Contains("EnvelopeHeader.cs", sources);

        bool UsesGrpcClient(string file) => File.ReadLines(Path.Combine(folder, file)).Any(GrpcClientUse().IsMatch);

        Assert.True(UsesGrpcClient("Lookup/StorageClientKeyDirectory.cs"), "the check must see the lookup's gRPC client");
        Assert.DoesNotContain(sources, f => !f.StartsWith("Lookup/", StringComparison.Ordinal) && UsesGrpcClient(f));
    }

    /// <summary>The project file as it is, with one more reference: parsed in memory, the file on disk untouched.</summary>
    private static ProjectNode Plant(string project, string item, string include)
    {
        var document = XDocument.Load(Path.Combine(RepoPaths.Root, project));
        document.Root!.Add(new XElement("ItemGroup", new XElement(item, new XAttribute("Include", include))));
        return ProjectNode.Parse(project, document.ToString());
    }
}
