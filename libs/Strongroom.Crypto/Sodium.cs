using System.Runtime.InteropServices;

namespace Strongroom.Crypto;

/// <summary>
/// The few libsodium functions NSec does not wrap, or that the per-message hot path calls directly
/// (MACHINE-NOTES: NSec allocates guarded memory for every agreement, about 3x slower). The native
/// library is the one NSec's package ships; NSec itself initialises it too, which is harmless.
/// </summary>
internal static unsafe partial class Sodium
{
    private const string Library = "libsodium";

    internal const int ScalarMultBytes = 32;
    internal const int SecretBoxKeyBytes = 32;
    internal const int SecretBoxNonceBytes = 24;
    internal const int SecretBoxMacBytes = 16;

    private static readonly int Initialised = sodium_init();

    /// <summary>Ensures sodium_init ran (0: now, 1: already); -1 means the library is unusable.</summary>
    internal static void EnsureInitialised()
    {
        if (Initialised < 0)
        {
            throw new InvalidOperationException("libsodium failed to initialise.");
        }
    }

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int sodium_init();

    /// <summary>Returns -1 when the result is the all-zero point (low-order input).</summary>
    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static partial int crypto_scalarmult(byte* q, byte* n, byte* p);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static partial int crypto_scalarmult_base(byte* q, byte* n);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static partial int crypto_secretbox_easy(byte* c, byte* m, ulong mlen, byte* n, byte* k);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static partial int crypto_secretbox_open_easy(byte* m, byte* c, ulong clen, byte* n, byte* k);
}
