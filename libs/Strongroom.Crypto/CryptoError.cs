using System.Globalization;

namespace Strongroom.Crypto;

/// <summary>
/// The single factory of every error this library raises. Messages name the parameter and sizes
/// only; nothing derived from secret material ever reaches an exception.
/// </summary>
internal static class CryptoError
{
    internal static CryptoException Unsupported(string what) =>
        new(CryptoErrorKind.Unsupported, "Unsupported: " + what + ".");

    internal static CryptoException UnsupportedLength(string name, int expected, int actual) =>
        new(
            CryptoErrorKind.Unsupported,
            string.Create(CultureInfo.InvariantCulture, $"Unsupported {name} length {actual}; Strongroom's profile requires {expected} bytes."));

    internal static CryptoException InvalidLength(string name, int expected, int actual) =>
        new(
            CryptoErrorKind.InvalidArgument,
            string.Create(CultureInfo.InvariantCulture, $"The {name} must be {expected} bytes, not {actual}."));

    internal static CryptoException InvalidArgument(string message) =>
        new(CryptoErrorKind.InvalidArgument, message);

    internal static CryptoException Malformed(string what) =>
        new(CryptoErrorKind.Malformed, "Malformed " + what + ".");

    internal static CryptoException AuthenticationFailed() =>
        new(CryptoErrorKind.AuthenticationFailed, "The data could not be authenticated.");

    internal static CryptoException ZeroSharedSecret() =>
        new(CryptoErrorKind.InvalidPublicKey, "The public key yields the all-zero X25519 shared secret.");

    internal static CryptoException InvalidPublicKey(string what) =>
        new(CryptoErrorKind.InvalidPublicKey, "Invalid public key: " + what + ".");

    internal static CryptoException ExportNotAllowed() =>
        new(CryptoErrorKind.NotPermitted, "The key was created without permission to export its private part.");

    internal static CryptoException OutputTooLong(string what, int max, int actual) =>
        new(
            CryptoErrorKind.LimitExceeded,
            string.Create(CultureInfo.InvariantCulture, $"The {what} length {actual} is outside 1..{max}."));

    internal static CryptoException SequenceExhausted() =>
        new(CryptoErrorKind.LimitExceeded, "The HPKE context has used all of its sequence numbers.");
}
