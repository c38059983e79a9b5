using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;

namespace Strongroom.KeyService.Domain;

/// <summary>Encodings an operator may import a private key in (inside the HPKE-sealed payload).</summary>
public enum ImportEncoding
{
    Pkcs1Der,
    Pkcs8Der,
    RawX25519,
}

/// <summary>
/// Operator imports, as Cloud KMS import jobs do it: the CLI seals the private key to keyservice's
/// X25519 import key (HPKE, info <c>strongroom/import/v1</c>, AAD = the target key's name) on the
/// operator's machine; only keyservice can open it, and it re-wraps the key under its own kms key.
/// </summary>
public sealed class KeyImporter(KeyCustodian custodian, KeyServiceOptions options)
{
    public static ReadOnlySpan<byte> ImportInfo => "strongroom/import/v1"u8;

    private readonly Lock _ensureLock = new();
    private Task? _ensured;

    /// <summary>
    /// Creates the import key on first start. Concurrent callers (the startup sweep and an early
    /// GetImportKey) share one creation, so none sees the key before its first version exists.
    /// </summary>
    public Task EnsureImportKeyAsync(CancellationToken cancellationToken)
    {
        lock (_ensureLock)
        {
            if (_ensured is null || _ensured.IsFaulted || _ensured.IsCanceled)
            {
                // Not the caller's token: a cancelled caller must not abandon a half-created key for the others.
                _ensured = EnsureCoreAsync();
            }

            return _ensured.WaitAsync(cancellationToken);
        }
    }

    private async Task EnsureCoreAsync()
    {
        var token = CancellationToken.None;
        ManagedKey key;
        try
        {
            key = await custodian.GetKeyAsync(options.ImportKeyName, token);
        }
        catch (StrongroomException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            try
            {
                key = await custodian.CreateKeyAsync(options.ImportKeyName, X25519Kind.KindName, null, null, token);
            }
            catch (StrongroomException raced) when (raced.Kind == ErrorKind.AlreadyExists)
            {
                // Another replica created it.
                key = await custodian.GetKeyAsync(options.ImportKeyName, token);
            }
        }

        // Another replica may still be creating the first version.
        for (var i = 0; key.PrimaryVersion == 0 && i < 100; i++)
        {
            await Task.Delay(100, token);
            key = await custodian.GetKeyAsync(options.ImportKeyName, token);
        }
    }

    public async Task<(KeyVersion Version, PublicKeyView View)> GetImportKeyAsync(CancellationToken cancellationToken)
    {
        await EnsureImportKeyAsync(cancellationToken);
        var version = await custodian.GetVersionAsync(options.ImportKeyName, null, cancellationToken);
        return (version, PublicKeyView.Of(X25519Kind.KindName, version));
    }

    public async Task<KeyVersion> ImportAsync(string keyName, ImportEncoding encoding, string importKid, byte[] enc, byte[] ciphertext, bool makePrimary, CancellationToken cancellationToken)
    {
        if (keyName == options.ImportKeyName)
        {
            throw StrongroomException.InvalidArgument("key_name", "the import key itself cannot be imported into");
        }

        var key = await custodian.GetKeyAsync(keyName, cancellationToken);
        var (importVersion, view) = await GetImportKeyAsync(cancellationToken);
        if (!string.Equals(view.Kid, importKid, StringComparison.Ordinal))
        {
            throw StrongroomException.FailedPrecondition("import_kid is not the current import key: fetch it again with GetImportKey");
        }

        if (enc.Length != Hpke.EncapsulatedKeySize)
        {
            throw StrongroomException.InvalidArgument("enc", $"must be {Hpke.EncapsulatedKeySize} bytes");
        }

        if (ciphertext.Length is < Hpke.TagSize or > 16 * 1024)
        {
            throw StrongroomException.InvalidArgument("ciphertext", "must be between 16 bytes and 16 KiB");
        }

        byte[] opened;
        using (var lease = await custodian.AcquireAsync(options.ImportKeyName, importVersion.Version, cancellationToken))
        {
            try
            {
                opened = Hpke.Open(lease.Handle<X25519KeyPair>(), enc, ImportInfo, Encoding.UTF8.GetBytes(keyName), ciphertext);
            }
            catch (CryptoException)
            {
                throw StrongroomException.InvalidArgument("ciphertext", "does not open under the import key for this key name");
            }
        }

        byte[]? normalized = null;
        try
        {
            normalized = Normalize(key.Kind, encoding, opened);
            return await custodian.ImportVersionAsync(keyName, normalized, cancellationToken, makePrimary);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(opened);
            if (normalized is not null)
            {
                CryptographicOperations.ZeroMemory(normalized);
            }
        }
    }

    /// <summary>Converts the imported bytes to the form custody stores for the key's kind.</summary>
    private static byte[] Normalize(string kind, ImportEncoding encoding, byte[] opened)
    {
        try
        {
            switch (kind, encoding)
            {
                case (Rsa4096Kind.KindName, ImportEncoding.Pkcs1Der):
                {
                    using var rsa = RSA.Create();
                    rsa.ImportRSAPrivateKey(opened, out var read);
                    return read == opened.Length ? rsa.ExportPkcs8PrivateKey() : throw new CryptographicException("trailing data");
                }

                case (Rsa4096Kind.KindName, ImportEncoding.Pkcs8Der):
                    return (byte[])opened.Clone();
                case (X25519Kind.KindName, ImportEncoding.RawX25519) when opened.Length == X25519KeyPair.PrivateKeySize:
                    return (byte[])opened.Clone();
                case (X25519Kind.KindName, ImportEncoding.Pkcs8Der):
                    return X25519FromPkcs8(opened);
                default:
                    throw StrongroomException.InvalidArgument("format", $"a {kind} key cannot be imported as {encoding}");
            }
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            throw StrongroomException.InvalidArgument("ciphertext", $"the sealed bytes are not a {kind} private key in {encoding}");
        }
    }

    /// <summary>RFC 8410 PrivateKeyInfo { version 0, AlgorithmIdentifier { 1.3.101.110 }, OCTET STRING { OCTET STRING key } }.</summary>
    private static byte[] X25519FromPkcs8(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var info = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        if (!info.ReadInteger().IsZero)
        {
            throw new CryptographicException("unsupported PrivateKeyInfo version");
        }

        var algorithm = info.ReadSequence();
        if (algorithm.ReadObjectIdentifier() != "1.3.101.110")
        {
            throw new CryptographicException("not an X25519 key");
        }

        algorithm.ThrowIfNotEmpty();
        var inner = new AsnReader(info.ReadOctetString(), AsnEncodingRules.DER);
        var key = inner.ReadOctetString();
        inner.ThrowIfNotEmpty();
        return key.Length == X25519KeyPair.PrivateKeySize ? key : throw new CryptographicException("X25519 key must be 32 bytes");
    }
}
