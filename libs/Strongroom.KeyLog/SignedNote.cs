using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Crypto;

namespace Strongroom.KeyLog;

/// <summary>
/// A C2SP signed-note verifier key for Ed25519 (https://c2sp.org/signed-note):
/// <c>&lt;name&gt;+&lt;key hash hex&gt;+&lt;base64(0x01 || public key)&gt;</c>, key hash = the first four bytes of
/// SHA-256(name || "\n" || 0x01 || public key), big-endian.
/// </summary>
public sealed class NoteVerifierKey
{
    public const byte Ed25519AlgorithmByte = 0x01;

    public NoteVerifierKey(string name, Ed25519PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsValidName(name))
        {
            throw new KeyLogFormatException("note key name must be non-empty printable ASCII without spaces or '+'");
        }

        Name = name;
        PublicKey = key;
        var pub = key.Export();
        var input = new byte[Encoding.UTF8.GetByteCount(name) + 2 + pub.Length];
        var n = Encoding.UTF8.GetBytes(name, input);
        input[n] = (byte)'\n';
        input[n + 1] = Ed25519AlgorithmByte;
        pub.CopyTo(input, n + 2);
        KeyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    public string Name { get; }

    public Ed25519PublicKey PublicKey { get; }

    public uint KeyId { get; }

    /// <summary>The verifier key string operators distribute for clients to pin.</summary>
    public override string ToString() =>
        Name + "+" + KeyId.ToString("x8", CultureInfo.InvariantCulture) + "+" + Convert.ToBase64String([Ed25519AlgorithmByte, .. PublicKey.Export()]);

    public static NoteVerifierKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The base64 key may itself contain '+': only the first two separate fields.
        var parts = text.Split('+', 3);
        if (parts.Length != 3 || parts[1].Length != 8 || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash)
            || !StrictBase64.TryDecode(parts[2], out var key) || key.Length != 33 || key[0] != Ed25519AlgorithmByte
            || !Ed25519PublicKey.TryImport(key.AsSpan(1), out var pub))
        {
            throw new KeyLogFormatException("not an Ed25519 note verifier key");
        }

        var verifier = new NoteVerifierKey(parts[0], pub);
        if (verifier.KeyId != hash)
        {
            throw new KeyLogFormatException("note verifier key hash does not match its name and key");
        }

        return verifier;
    }

    internal static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => c > 0x20 && c < 0x7f && c != '+');
}

/// <summary>A parsed, signature-checked tlog checkpoint (https://c2sp.org/tlog-checkpoint).</summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash, string Note)
{
    /// <summary>The origin line of a Strongroom deployment's key log.</summary>
    public static string OriginFor(string deployment) => "strongroom/keylog/" + deployment;

    /// <summary>The note body that is signed: origin, decimal size, base64 root, each ending in a newline.</summary>
    public static string Body(string origin, long size, ReadOnlySpan<byte> rootHash)
    {
        if (string.IsNullOrEmpty(origin) || origin.Any(c => c < 0x20 || c > 0x7e) || size < 0 || rootHash.Length != MerkleTree.HashSize)
        {
            throw new KeyLogFormatException("invalid checkpoint body");
        }

        return origin + "\n" + size.ToString(CultureInfo.InvariantCulture) + "\n" + Convert.ToBase64String(rootHash) + "\n";
    }

    /// <summary>Signs a checkpoint note: body, a blank line, then <c>— name base64(keyID || signature)</c>.</summary>
    public static string Sign(string origin, long size, ReadOnlySpan<byte> rootHash, Ed25519KeyPair key, string keyName)
    {
        ArgumentNullException.ThrowIfNull(key);
        var body = Body(origin, size, rootHash);
        var verifier = new NoteVerifierKey(keyName, key.PublicKey);
        var signature = key.Sign(Encoding.UTF8.GetBytes(body));
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, verifier.KeyId);
        signature.CopyTo(blob, 4);
        return body + "\n\u2014 " + keyName + " " + Convert.ToBase64String(blob) + "\n";
    }

    /// <summary>
    /// Parses <paramref name="note"/> and checks that <paramref name="verifier"/> signed it for
    /// <paramref name="expectedOrigin"/>. Signatures by other keys are ignored (signed-note rules);
    /// at least one by the verifier must be valid. Throws <see cref="KeyLogFormatException"/> otherwise.
    /// </summary>
    public static Checkpoint Verify(string note, NoteVerifierKey verifier, string expectedOrigin)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        if (string.IsNullOrEmpty(note) || note.Length > 16 * 1024 || !note.EndsWith('\n'))
        {
            throw new KeyLogFormatException("checkpoint note malformed");
        }

        var body = SignedNote.Open(note, verifier);
        var lines = body.TrimEnd('\n').Split('\n');
        // Extension lines after the root are allowed by tlog-checkpoint; we write none and accept none.
        if (lines.Length != 3 || !string.Equals(lines[0], expectedOrigin, StringComparison.Ordinal)
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || !string.Equals(size.ToString(CultureInfo.InvariantCulture), lines[1], StringComparison.Ordinal)
            || !StrictBase64.TryDecode(lines[2], out var root) || root.Length != MerkleTree.HashSize)
        {
            throw new KeyLogFormatException("checkpoint body malformed or for another origin");
        }

        return new Checkpoint(lines[0], size, root, note);
    }
}

/// <summary>The C2SP signed-note envelope: text, a blank line, signature lines.</summary>
public static class SignedNote
{
    /// <summary>
    /// Returns the signed text of <paramref name="note"/> when at least one signature line by
    /// <paramref name="verifier"/> verifies; lines by other keys are ignored, as signed-note says.
    /// </summary>
    public static string Open(string note, NoteVerifierKey verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        if (string.IsNullOrEmpty(note) || note.Length > 16 * 1024 || !note.EndsWith('\n'))
        {
            throw new KeyLogFormatException("signed note malformed");
        }

        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new KeyLogFormatException("signed note has no signature block");
        }

        var text = note[..(split + 1)];
        var textBytes = Encoding.UTF8.GetBytes(text);
        var prefix = "\u2014 " + verifier.Name + " ";
        foreach (var line in note[(split + 2)..].TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal)
                && StrictBase64.TryDecode(line.AsSpan(prefix.Length), out var blob) && blob.Length == 4 + Ed25519PublicKey.SignatureSize
                && BinaryPrimitives.ReadUInt32BigEndian(blob) == verifier.KeyId && verifier.PublicKey.Verify(textBytes, blob.AsSpan(4)))
            {
                return text;
            }
        }

        throw new KeyLogFormatException("note is not signed by the pinned key");
    }
}
