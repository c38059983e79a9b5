using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Tests;

/// <summary>
/// The signer signs a checkpoint only after a consistency proof from its own last one verifies, so
/// storage cannot fork, truncate or rewrite the log; the last checkpoint survives a restart.
/// The tests in this class extend one log (xunit runs a class's tests one at a time, in no fixed
/// order, so each test starts from whatever the signer last signed).
/// </summary>
public sealed class CheckpointTests(SignerStack stack) : IClassFixture<SignerStack>
{
    private const string Origin = "strongroom/keylog/test";

    private Api.Signer.SignerClient Storage => stack.Public(WorkloadIdentity.Storage);

    private static ReferenceMerkleTree Tree(int size, string prefix = "entry-")
    {
        var tree = new ReferenceMerkleTree();
        for (var i = 0; i < size; i++)
        {
            tree.Append(Encoding.ASCII.GetBytes(prefix + i));
        }

        return tree;
    }

    private static Api.SignCheckpointRequest Request(ReferenceMerkleTree tree, int from, int to, string origin = "")
    {
        var request = new Api.SignCheckpointRequest
        {
            TreeSize = (ulong)to,
            RootHash = ByteString.CopyFrom(tree.Root(to)),
            FromTreeSize = (ulong)from,
            Origin = origin,
        };
        request.ConsistencyProof.Add(tree.ConsistencyProof(from, to).Select(ByteString.CopyFrom));
        return request;
    }

    private async Task<int> LastSizeAsync() => (int)(await Storage.GetLatestCheckpointAsync(new Api.GetLatestCheckpointRequest())).Checkpoint.TreeSize;

    private async Task<StatusCode> RefusalAsync(Api.SignCheckpointRequest request)
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Storage.SignCheckpointAsync(request));
        return error.StatusCode;
    }

    [Fact]
    public async Task Consistent_checkpoints_are_signed_as_C2SP_notes_by_the_log_key_and_the_last_survives_a_restart()
    {
        var tree = Tree(64);
        var from = await LastSizeAsync();
        var to = from + 5;
        var signed = await Storage.SignCheckpointAsync(Request(tree, from, to, Origin));

        var body = $"{Origin}\n{to}\n{Convert.ToBase64String(tree.Root(to))}\n";
        Assert.StartsWith(body + "\n\u2014 " + Origin + " ", signed.Checkpoint.Note, StringComparison.Ordinal);
        Assert.Equal(signed.Checkpoint.Note, body + "\n" + signed.SignatureLine);
        var logKey = await stack.LogKeyAdmin().GetLogKeyAsync(new Api.GetLogKeyRequest());
        var verifier = NoteVerifierKey.Parse(logKey.NoteVerifierKey);
        Assert.Equal(Origin, verifier.Name);
        var opened = Checkpoint.Verify(signed.Checkpoint.Note, verifier, Origin);
        Assert.Equal(to, opened.Size);
        Assert.Equal(tree.Root(to), opened.RootHash);
        Assert.Throws<KeyLogFormatException>(() => Checkpoint.Verify(signed.Checkpoint.Note.Replace($"\n{to}\n", $"\n{to + 1}\n", StringComparison.Ordinal), verifier, Origin));
        Assert.Throws<KeyLogFormatException>(() => Checkpoint.Verify(signed.Checkpoint.Note, verifier, "strongroom/keylog/other"));
        // Key ID = SHA-256(name || "\n" || 0x01 || key)[:4], and it opens the signature bytes.
        var sigBytes = Convert.FromBase64String(signed.SignatureLine.Split(' ')[2].TrimEnd('\n'));
        Assert.Equal(verifier.KeyId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture), Convert.ToHexStringLower(sigBytes[..4]));
        Assert.Equal(68, sigBytes.Length);

        // The same checkpoint again is answered with the stored one.
        var again = await Storage.SignCheckpointAsync(new Api.SignCheckpointRequest { TreeSize = (ulong)to, RootHash = ByteString.CopyFrom(tree.Root(to)), FromTreeSize = (ulong)to });
        Assert.Equal(signed.Checkpoint.Note, again.Checkpoint.Note);

        await stack.RestartSignerAsync();
        var latest = await Storage.GetLatestCheckpointAsync(new Api.GetLatestCheckpointRequest());
        Assert.Equal(signed.Checkpoint.Note, latest.Checkpoint.Note);
        Assert.Equal((ulong)to, latest.Checkpoint.TreeSize);
        // After the restart the signer still insists on proofs from that checkpoint.
        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(Request(tree, 0, to + 3)));
        var next = await Storage.SignCheckpointAsync(Request(tree, to, to + 3));
        Assert.Equal((ulong)(to + 3), next.Checkpoint.TreeSize);
    }

    [Fact]
    public async Task A_forked_log_is_refused()
    {
        var tree = Tree(64);
        var from = await LastSizeAsync();
        await Storage.SignCheckpointAsync(Request(tree, from, from + 4));
        from += 4;

        // Same size, other root.
        var fork = Tree(from, "fork-");
        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(new Api.SignCheckpointRequest { TreeSize = (ulong)from, RootHash = ByteString.CopyFrom(fork.Root(from)), FromTreeSize = (ulong)from }));

        // A larger tree whose past differs: its honest-looking proof does not start from our root.
        var rewritten = new ReferenceMerkleTree();
        for (var i = 0; i < from + 6; i++)
        {
            rewritten.Append(Encoding.ASCII.GetBytes(i == 1 ? "rewritten" : "entry-" + i));
        }

        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(Request(rewritten, from, from + 6)));

        // A proof with one node changed.
        var tampered = Request(tree, from, from + 6);
        var node = tampered.ConsistencyProof[0].ToByteArray();
        node[5] ^= 0x80;
        tampered.ConsistencyProof[0] = ByteString.CopyFrom(node);
        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(tampered));
        Assert.Equal(from, await LastSizeAsync());
    }

    [Fact]
    public async Task A_truncated_log_a_stale_starting_point_and_another_origin_are_refused()
    {
        var tree = Tree(64);
        var from = await LastSizeAsync();
        await Storage.SignCheckpointAsync(Request(tree, from, from + 6));
        from += 6;

        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(new Api.SignCheckpointRequest { TreeSize = (ulong)(from - 2), RootHash = ByteString.CopyFrom(tree.Root(from - 2)), FromTreeSize = (ulong)from }));
        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(Request(tree, from - 1, from + 2)));
        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(Request(tree, from, from + 2, "strongroom/keylog/other")));
        Assert.Equal(StatusCode.InvalidArgument, await RefusalAsync(new Api.SignCheckpointRequest { TreeSize = (ulong)from + 1, RootHash = ByteString.CopyFrom(new byte[31]), FromTreeSize = (ulong)from }));
        Assert.Equal(from, await LastSizeAsync());
    }

    [Fact]
    public void The_signers_state_store_is_readable_by_its_owner_only()
    {
        Assert.True(File.Exists(stack.StatePath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stack.StatePath));
        }
    }

    [Fact]
    public async Task Only_storage_may_ask_for_a_checkpoint_signature()
    {
        var tree = Tree(64);
        var from = await LastSizeAsync();
        foreach (var identity in new[] { WorkloadIdentity.Runner, WorkloadIdentity.KeyService, WorkloadIdentity.Operator("admin"), WorkloadIdentity.Client("alice") })
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await stack.Public(identity).SignCheckpointAsync(Request(tree, from, from + 1)));
            Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        }
    }
}
