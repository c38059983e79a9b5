using Strongroom.Pki;

namespace Strongroom.Edge.Guard;

/// <summary>The client identity the edge validated for this request; the only identity it ever relays.</summary>
public static class EdgeClient
{
    private const string ItemKey = "strongroom.edge.client";

    public static void Set(HttpContext context, WorkloadIdentity client)
    {
        if (!client.IsClient)
        {
            throw new ArgumentException("the edge relays client identities only", nameof(client));
        }

        context.Items[ItemKey] = client;
    }

    public static WorkloadIdentity? Get(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var value) ? value as WorkloadIdentity : null;
}
