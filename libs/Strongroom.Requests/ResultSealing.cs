using System.Text;
using Strongroom.Crypto;

namespace Strongroom.Requests;

/// <summary>
/// A job's output sealed to the requester's X25519 key (DESIGN §3.4): HPKE base mode,
/// <c>info = "strongroom/result/v1"</c>, AAD = the job id's UTF-8 bytes, so a sealed output cannot
/// be passed off as another job's. The runner seals with this and the client opens with it.
/// </summary>
public static class ResultSealing
{
    /// <summary>Returns the encapsulated key (storage's output_enc) and the ciphertext (its output).</summary>
    public static HpkeSealedMessage Seal(X25519PublicKey recipient, string jobId, ReadOnlySpan<byte> output)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return Hpke.Seal(recipient, Hpke.ResultInfo, Encoding.UTF8.GetBytes(jobId), output);
    }

    /// <summary>Opens a sealed output; <see cref="CryptoException"/> when the key, job id, enc or ciphertext do not match.</summary>
    public static byte[] Open(X25519KeyPair recipient, string jobId, ReadOnlySpan<byte> encapsulatedKey, ReadOnlySpan<byte> ciphertext)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return Hpke.Open(recipient, encapsulatedKey, Hpke.ResultInfo, Encoding.UTF8.GetBytes(jobId), ciphertext);
    }
}
