using System.Reflection;
using System.Text;
using Strongroom.Crypto;

namespace Strongroom.Fuzz;

/// <summary>Fixed keys the targets verify against: test-only fixtures embedded in this assembly, and keys derived from constants.</summary>
internal static class Fixtures
{
    private static readonly Lazy<Ed25519PublicKey> StudioMlClientKeyLazy = new(() => OpenSsh.ParseAuthorizedKey(Text("studioml/client_signing.pub").Trim()).Key);
    private static readonly Lazy<JsonWebKey> SqoolerPublicJwkLazy = new(() => JsonWebKey.Parse(Text("sqooler/sqooler_public_jwk.json"), JwkParseMode.SqoolerCompat));
    private static readonly Lazy<Ed25519PublicKey> Rfc8037KeyLazy = new(() => Ed25519PublicKey.Import(Convert.FromHexString("D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A")));
    private static readonly Lazy<Ed25519KeyPair> EnvelopeSigningKeyLazy = new(() => Ed25519KeyPair.ImportSeed(Enumerable.Repeat((byte)0x11, 32).ToArray()));
    private static readonly Lazy<X25519KeyPair> EnvelopeRecipientLazy = new(() => Hpke.DeriveKeyPair(Enumerable.Repeat((byte)0x22, 32).ToArray()));

    /// <summary>The StudioML fixtures' client signing key (client_signing.pub).</summary>
    public static Ed25519PublicKey StudioMlClientKey => StudioMlClientKeyLazy.Value;

    /// <summary>The passphrase of studioml_message.pem.</summary>
    public static char[] PemPassphrase => Text("studioml/secret_phrase").TrimEnd('\r', '\n').ToCharArray();

    /// <summary>sqooler's public JWK (sqooler_public_jwk.json).</summary>
    public static JsonWebKey SqoolerPublicJwk => SqoolerPublicJwkLazy.Value;

    /// <summary>RFC 8037 A.1's public key.</summary>
    public static Ed25519PublicKey Rfc8037Key => Rfc8037KeyLazy.Value;

    /// <summary>The client key the envelope seeds are signed with (seed 0x11 × 32).</summary>
    public static Ed25519KeyPair EnvelopeSigningKey => EnvelopeSigningKeyLazy.Value;

    /// <summary>The recipient the envelope seeds are sealed to (DeriveKeyPair(0x22 × 32)).</summary>
    public static X25519KeyPair EnvelopeRecipient => EnvelopeRecipientLazy.Value;

    /// <summary>The KEK the kms target opens ciphertexts with (0x33 × 32).</summary>
    public static byte[] Kek { get; } = Enumerable.Repeat((byte)0x33, 32).ToArray();

    private static string Text(string name)
    {
        using Stream stream = typeof(Fixtures).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("missing embedded fixture " + name);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>Delegates to the internal and private functions the targets exercise (the fuzzer is no friend assembly).</summary>
internal static class Internals
{
    public delegate ValueTuple<string, string, string> StudioMlMessageParser(ReadOnlySpan<byte> message);

    public delegate bool KekVersionReader(ReadOnlySpan<byte> ciphertext, out int version);

    public delegate byte[]? KekOpener(ReadOnlySpan<byte> kek, string cryptoKeyName, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> aad);

    private static readonly Lazy<StudioMlMessageParser> ParseStudioMlLazy = new(() => Bind<StudioMlMessageParser>("Strongroom.Runner", "Strongroom.Runner.Domain.RequestIntake", "ParseStudioMl"));
    private static readonly Lazy<KekVersionReader> TryReadVersionLazy = new(() => Bind<KekVersionReader>("Strongroom.Kms", "Strongroom.Kms.Domain.KekCiphertext", "TryReadVersion"));
    private static readonly Lazy<KekOpener> TryOpenLazy = new(() => Bind<KekOpener>("Strongroom.Kms", "Strongroom.Kms.Domain.KekCiphertext", "TryOpen"));
    private static readonly Lazy<int> KekOverheadLazy = new(() => (int)Type("Strongroom.Kms", "Strongroom.Kms.Domain.KekCiphertext").GetField("Overhead")!.GetRawConstantValue()!);

    /// <summary>services/runner RequestIntake.ParseStudioMl (internal).</summary>
    public static StudioMlMessageParser ParseStudioMl => ParseStudioMlLazy.Value;

    /// <summary>services/kms KekCiphertext.TryReadVersion (internal).</summary>
    public static KekVersionReader TryReadVersion => TryReadVersionLazy.Value;

    /// <summary>services/kms KekCiphertext.TryOpen (internal).</summary>
    public static KekOpener TryOpen => TryOpenLazy.Value;

    /// <summary>services/kms KekCiphertext.Overhead.</summary>
    public static int KekOverhead => KekOverheadLazy.Value;

    private static Type Type(string assembly, string type) =>
        Assembly.Load(assembly).GetType(type, throwOnError: true)!;

    private static T Bind<T>(string assembly, string type, string method)
        where T : Delegate
    {
        MethodInfo info = Type(assembly, type).GetMethod(method, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(type, method);
        // A delegate bound to the method (not MethodInfo.Invoke): exceptions arrive unwrapped.
        return info.CreateDelegate<T>();
    }
}
