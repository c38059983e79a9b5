using System.Collections.Frozen;
using ProtoServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Strongroom.Pki;
using KeyServiceApi = Strongroom.KeyService.V1.KeyService;
using RunnerApi = Strongroom.Runner.V1.Runner;
using StorageApi = Strongroom.Storage.V1.Storage;

namespace Strongroom.Edge.Routing;

/// <summary>
/// The methods the edge may ever forward — those docs/contracts.md marks "edge-routed" — and the
/// backend each belongs to. Compiled in, not configured: configuration chooses which of these
/// are routed and where, but can never open an admin, kms or service-to-service method.
/// </summary>
public static class ClientFacingMethods
{
    /// <summary>Full method path (<c>/package.Service/Method</c>) → the service identity that serves it.</summary>
    public static FrozenDictionary<string, WorkloadIdentity> All { get; } = Build();

    public static bool TryGetBackend(string? path, out WorkloadIdentity backend)
    {
        backend = null!;
        return path is not null && All.TryGetValue(path, out backend!);
    }

    private static FrozenDictionary<string, WorkloadIdentity> Build()
    {
        var methods = new Dictionary<string, WorkloadIdentity>(StringComparer.Ordinal);
        Add(KeyServiceApi.Descriptor, WorkloadIdentity.KeyService, "GetPublicKey", "ListPublicKeys");
        Add(StorageApi.Descriptor, WorkloadIdentity.Storage,
            "GetResult", "ListResults", "GetKeyLogEntries", "GetCheckpoint", "GetInclusionProof",
            "GetConsistencyProof", "GetJwks", "LookupKey");
        Add(RunnerApi.Descriptor, WorkloadIdentity.Runner, "Submit", "GetJob", "WatchJob");
        return methods.ToFrozenDictionary(StringComparer.Ordinal);

        void Add(ProtoServiceDescriptor service, WorkloadIdentity backend, params string[] names)
        {
            foreach (var name in names)
            {
                // Taken from the compiled contracts, so a renamed or removed method fails here, not silently.
                var method = service.FindMethodByName(name)
                    ?? throw new InvalidOperationException($"{service.FullName} has no method {name}");
                methods.Add($"/{service.FullName}/{method.Name}", backend);
            }
        }
    }
}
