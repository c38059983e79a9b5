using Strongroom.Pki;

namespace Strongroom.Hosting;

/// <summary>This process's own workload identity, checked against its certificate at start.</summary>
public sealed record ServiceIdentity(WorkloadIdentity Identity);
