using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyCustody;
using Strongroom.Signer.Domain;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Grpc;

/// <summary>
/// signer's own operator method, the log key (admin listener only; the policy table says so); the
/// shared lifecycle methods are <see cref="Strongroom.KeyAdmin.KeyAdminGrpc"/>.
/// </summary>
public sealed class SignerAdminGrpc(KeyCustodian custodian, CheckpointSigner checkpoints, SignerOptions options) : Api.SignerAdmin.SignerAdminBase
{
    public override async Task<Api.GetLogKeyResponse> GetLogKey(Api.GetLogKeyRequest request, ServerCallContext context)
    {
        var v = await custodian.GetVersionAsync(options.LogKeyName, null, context.CancellationToken);
        context.AuditKey(options.LogKeyName, v.Version);
        return new Api.GetLogKeyResponse
        {
            KeyName = options.LogKeyName,
            Version = (uint)v.Version,
            Kid = SigningKeySet.KidOf(v.PublicKey),
            NoteVerifierKey = checkpoints.VerifierKey(v.PublicKey),
            Origin = options.Origin,
        };
    }
}
