namespace Strongroom.KeyCustody;

/// <summary>
/// One kind of application key (RSA-4096, X25519, Ed25519): how to make a key pair and how to
/// turn unwrapped private bytes into a usable handle. Private bytes handed to these methods are
/// zeroed by the caller right after.
/// </summary>
public interface IKeyMaterialKind
{
    /// <summary>Stable name stored with the key, e.g. <c>rsa-4096</c>.</summary>
    string Name { get; }

    /// <summary>Generates a key pair: (private key bytes to seal, public key bytes to publish).</summary>
    (byte[] PrivateKey, byte[] PublicKey) Generate();

    /// <summary>Imports private bytes into a handle the service keeps in memory (disposed on eviction).</summary>
    IDisposable Load(ReadOnlySpan<byte> privateKey);

    /// <summary>Derives the public key of private bytes (checks imported keys).</summary>
    byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey);
}
