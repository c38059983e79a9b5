using System.Buffers.Binary;
using System.Globalization;

namespace Strongroom.Kms.Storage;

/// <summary>What a sealed file holds; part of the header, so a backup can never be opened as a store.</summary>
public enum SealedFileKind : byte
{
    Store = 1,
    Backup = 2,
}

/// <summary>Argon2id cost of a sealed file. libsodium (through NSec) supports one lane only.</summary>
public sealed record Argon2Settings(uint MemoryKiB, uint Iterations, uint Parallelism = 1)
{
    /// <summary>The minimum DESIGN §5 sets, and what new files get unless an operator asks for more.</summary>
    public static Argon2Settings Default { get; } = new(SealedFileFormat.MinMemoryKiB, SealedFileFormat.MinIterations);
}

/// <summary>
/// The sealed file: a fixed 64-byte header, then the AEAD ciphertext of the payload with the whole
/// header as associated data. Every integer is big-endian.
/// <code>
///  0  5  magic "SRKMS"
///  5  1  kind (1 store, 2 backup)
///  6  2  format version (1)
///  8  1  KDF (1 = Argon2id v1.3)
///  9  1  AEAD (1 = XChaCha20-Poly1305)
/// 10  4  Argon2id memory, KiB
/// 14  4  Argon2id iterations
/// 18  4  Argon2id parallelism
/// 22  1  salt length (16)      23 16 salt
/// 39  1  nonce length (24)     40 24 nonce
/// 64     ciphertext || 16-byte tag
/// </code>
/// Binding the header as AAD means an edited header fails authentication; the parser also enforces
/// the Argon2id minimums itself, before deriving anything, so a header weakened to make guessing
/// cheap is refused with a message rather than tried.
/// </summary>
public static class SealedFileFormat
{
    public const int HeaderSize = 64;
    public const int TagSize = 16;
    public const ushort FormatVersion = 1;
    public const byte KdfArgon2id = 1;
    public const byte AeadXChaCha20Poly1305 = 1;
    public const int SaltSize = 16;
    public const int NonceSize = 24;

    public const int KindOffset = 5;
    public const int MemoryOffset = 10;
    public const int IterationsOffset = 14;
    public const int ParallelismOffset = 18;
    public const int SaltOffset = 23;
    public const int NonceOffset = 40;

    /// <summary>256 MiB: DESIGN §5's floor for the memory cost.</summary>
    public const uint MinMemoryKiB = 256 * 1024;

    /// <summary>DESIGN §5's floor for the time cost.</summary>
    public const uint MinIterations = 3;

    /// <summary>4 GiB: a ceiling, so a hostile header cannot make the kms exhaust memory.</summary>
    public const uint MaxMemoryKiB = 4 * 1024 * 1024;

    public const uint MaxIterations = 64;

    private static ReadOnlySpan<byte> Magic => "SRKMS"u8;

    /// <summary>The parsed, validated header of a sealed file.</summary>
    public sealed record Header(SealedFileKind Kind, Argon2Settings Argon2, byte[] Salt, byte[] Nonce);

    /// <summary>Refuses settings below the minimums (or beyond the ceilings) with an operator-facing reason.</summary>
    public static void Validate(Argon2Settings settings, string source)
    {
        if (settings.MemoryKiB < MinMemoryKiB)
        {
            throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: Argon2id memory {settings.MemoryKiB} KiB is below the minimum {MinMemoryKiB} KiB (256 MiB); refusing a weakened key derivation"));
        }

        if (settings.Iterations < MinIterations)
        {
            throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: Argon2id iterations {settings.Iterations} is below the minimum {MinIterations}; refusing a weakened key derivation"));
        }

        if (settings.MemoryKiB > MaxMemoryKiB || settings.Iterations > MaxIterations)
        {
            throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: Argon2id cost (memory {settings.MemoryKiB} KiB, iterations {settings.Iterations}) exceeds the supported maximum ({MaxMemoryKiB} KiB, {MaxIterations})"));
        }

        if (settings.Parallelism != 1)
        {
            throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: Argon2id parallelism {settings.Parallelism} is not supported (libsodium computes one lane)"));
        }
    }

    public static byte[] WriteHeader(Header header)
    {
        var bytes = new byte[HeaderSize];
        Magic.CopyTo(bytes);
        bytes[KindOffset] = (byte)header.Kind;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), FormatVersion);
        bytes[8] = KdfArgon2id;
        bytes[9] = AeadXChaCha20Poly1305;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(MemoryOffset), header.Argon2.MemoryKiB);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(IterationsOffset), header.Argon2.Iterations);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(ParallelismOffset), header.Argon2.Parallelism);
        bytes[SaltOffset - 1] = SaltSize;
        header.Salt.CopyTo(bytes.AsSpan(SaltOffset, SaltSize));
        bytes[NonceOffset - 1] = NonceSize;
        header.Nonce.CopyTo(bytes.AsSpan(NonceOffset, NonceSize));
        return bytes;
    }

    /// <summary>Parses and validates the header of <paramref name="file"/>, named <paramref name="source"/> in errors.</summary>
    public static Header ParseHeader(ReadOnlySpan<byte> file, SealedFileKind expected, string source)
    {
        if (file.Length < HeaderSize + TagSize || !file[..Magic.Length].SequenceEqual(Magic))
        {
            throw new SealedStoreException($"{source} is not a Strongroom kms {Describe(expected)} (bad magic or truncated)");
        }

        var kind = (SealedFileKind)file[KindOffset];
        if (kind != expected)
        {
            throw new SealedStoreException($"{source} is a kms {Describe(kind)}, not a {Describe(expected)}");
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(file[6..]);
        if (version != FormatVersion || file[8] != KdfArgon2id || file[9] != AeadXChaCha20Poly1305)
        {
            throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture,
                $"{source} uses an unsupported format (version {version}, KDF {file[8]}, AEAD {file[9]})"));
        }

        var settings = new Argon2Settings(
            BinaryPrimitives.ReadUInt32BigEndian(file[MemoryOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(file[IterationsOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(file[ParallelismOffset..]));
        // Enforced here, by the parser, before any derivation: the file cannot lower its own cost.
        Validate(settings, source);
        if (file[SaltOffset - 1] != SaltSize || file[NonceOffset - 1] != NonceSize)
        {
            throw new SealedStoreException($"{source} has an unsupported salt or nonce size");
        }

        return new Header(kind, settings, file.Slice(SaltOffset, SaltSize).ToArray(), file.Slice(NonceOffset, NonceSize).ToArray());
    }

    private static string Describe(SealedFileKind kind) => kind switch
    {
        SealedFileKind.Store => "store",
        SealedFileKind.Backup => "backup",
        _ => "file of unknown kind",
    };
}
