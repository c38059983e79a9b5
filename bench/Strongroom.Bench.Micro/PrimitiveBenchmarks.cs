using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Strongroom.Crypto;

namespace Strongroom.Bench.Micro;

/// <summary>
/// The in-process baselines of docs/benchmarks.md: what the runner's StudioML unwrap, HPKE open and
/// the signer's Ed25519 signature cost with nothing around them (one thread).
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet disposes through [GlobalCleanup].
public class PrimitiveBenchmarks
#pragma warning restore CA1001
{
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(256);
    private readonly byte[] _aad = RandomNumberGenerator.GetBytes(120);
    private RSA _rsa = null!;
    private byte[] _rsaCiphertext = [];
    private X25519KeyPair _x25519 = null!;
    private HpkeSealedMessage _sealed = null!;
    private Ed25519KeyPair _ed25519 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rsa = RSA.Create(4096);
        _rsaCiphertext = _rsa.Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA256);
        _x25519 = X25519KeyPair.Generate();
        _sealed = Hpke.Seal(_x25519.PublicKey, Hpke.RequestInfo, _aad, _payload);
        _ed25519 = Ed25519KeyPair.Generate();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rsa.Dispose();
        _x25519.Dispose();
        _ed25519.Dispose();
    }

    /// <summary>StudioML: the 32-byte message key under the runner's RSA-4096 key, OAEP-SHA256.</summary>
    [Benchmark]
    public byte[] Rsa4096OaepDecrypt() => _rsa.Decrypt(_rsaCiphertext, RSAEncryptionPadding.OaepSHA256);

    /// <summary>Strongroom envelope: HPKE base-mode open (X25519, HKDF-SHA256, ChaCha20-Poly1305) of a 256-byte input.</summary>
    [Benchmark]
    public byte[] HpkeOpen() => Hpke.Open(_x25519, _sealed.EncapsulatedKey, Hpke.RequestInfo, _aad, _sealed.Ciphertext);

    /// <summary>The signer's operation without gRPC: NSec Ed25519 over a 256-byte payload.</summary>
    [Benchmark]
    public byte[] Ed25519Sign() => _ed25519.Sign(_payload);
}
