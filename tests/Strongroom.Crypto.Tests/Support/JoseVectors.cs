using System.Text.Json;
using Strongroom.Testing;

namespace Strongroom.Crypto.Tests.Support;

/// <summary>tests/testdata/jose/rfc8037-ed25519.json: RFC 8037 appendix A.1, A.3 and A.4.</summary>
internal static class Rfc8037
{
    private static readonly JsonElement Vector = Load();

    public static string PrivateJwk => Vector.GetProperty("private_jwk").GetRawText();

    public static string PublicJwk => Vector.GetProperty("public_jwk").GetRawText();

    public static string Thumbprint => Vector.GetProperty("rfc7638_thumbprint").GetString()!;

    public static string Payload => Vector.GetProperty("payload_utf8").GetString()!;

    public static string ProtectedHeaderJson => Vector.GetProperty("protected_header_json").GetString()!;

    public static string Compact => Vector.GetProperty("jws_compact").GetString()!;

    private static JsonElement Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.TestData("jose", "rfc8037-ed25519.json")));
        return document.RootElement.Clone();
    }
}
