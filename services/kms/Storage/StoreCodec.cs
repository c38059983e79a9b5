using System.Buffers.Binary;
using System.Text;
using Strongroom.Kms.Domain;

namespace Strongroom.Kms.Storage;

/// <summary>
/// The cleartext inside the sealed store: a small big-endian binary format, written into a pinned
/// <see cref="SecretBuffer"/> so the key material never passes through strings or unpinned arrays.
/// Destroyed versions are written without material: re-sealing after a destruction is what erases it
/// from disk. The parser is strict (counts bounded by what remains, no trailing bytes) even though
/// the payload is authenticated, so a bug elsewhere cannot turn into a mis-parse.
/// </summary>
internal static class StoreCodec
{
    private const int PayloadVersion = 1;
    private static ReadOnlySpan<byte> Magic => "SRKMSTATE"u8;

    public static SecretBuffer Serialize(KmsState state)
    {
        var w = new SecretBuffer();
        w.Write(Magic);
        w.WriteInt32(PayloadVersion);
        w.WriteInt32(state.Rings.Count);
        foreach (var ring in state.Rings.Values)
        {
            w.WriteString(ring.Name);
            w.WriteInt64(ring.CreateTimeMs);
            w.WriteString(ring.Owner);
            w.WriteInt32(ring.Keys.Count);
            foreach (var key in ring.Keys.Values)
            {
                w.WriteString(key.Name);
                w.WriteInt64(key.CreateTimeMs);
                w.WriteInt64(key.DestroyGraceSeconds);
                w.WriteString(key.Binding);
                w.WriteInt32(key.Primary);
                w.WriteInt32(key.Labels.Count);
                foreach (var (name, value) in key.Labels)
                {
                    w.WriteString(name);
                    w.WriteString(value);
                }

                w.WriteInt32(key.Versions.Count);
                foreach (var version in key.Versions)
                {
                    w.WriteInt32(version.Number);
                    w.WriteByte((byte)version.State);
                    w.WriteInt64(version.CreateTimeMs);
                    w.WriteInt64(version.DestroyTimeMs ?? -1);
                    w.WriteInt64(version.DestroyEventTimeMs ?? -1);
                    // Destroyed means gone from disk too: the material is never written again.
                    if (version.State != KeyVersionState.Destroyed && version.Material is { } material)
                    {
                        w.WriteByte(KeyVersionRecord.MaterialSize);
                        w.Write(material);
                    }
                    else
                    {
                        w.WriteByte(0);
                    }
                }
            }
        }

        return w;
    }

    public static KmsState Deserialize(ReadOnlySpan<byte> payload)
    {
        var state = new KmsState();
        try
        {
            var r = new Reader(payload);
            if (!r.Bytes(Magic.Length).SequenceEqual(Magic) || r.Int32() != PayloadVersion)
            {
                throw Malformed();
            }

            var rings = r.Count(24);
            for (var i = 0; i < rings; i++)
            {
                var ring = new KeyRingRecord { Name = r.String(), CreateTimeMs = r.Int64(), Owner = r.String() };
                ReadKeys(ref r, ring);
                if (!state.Rings.TryAdd(ring.Name, ring))
                {
                    throw Malformed();
                }
            }

            if (!r.AtEnd)
            {
                throw Malformed();
            }

            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private static void ReadKeys(ref Reader r, KeyRingRecord ring)
    {
        var keys = r.Count(40);
        for (var k = 0; k < keys; k++)
        {
            var key = new CryptoKeyRecord
            {
                Name = r.String(),
                CreateTimeMs = r.Int64(),
                DestroyGraceSeconds = r.Int64(),
                Binding = r.String(),
            };
            key.Primary = r.Int32();
            var labels = r.Count(4);
            for (var l = 0; l < labels; l++)
            {
                key.Labels[r.String()] = r.String();
            }

            var versions = r.Count(30);
            for (var v = 0; v < versions; v++)
            {
                var number = r.Int32();
                var state = (KeyVersionState)r.Byte();
                var version = new KeyVersionRecord { Number = number, CreateTimeMs = r.Int64(), State = state };
                var destroyTime = r.Int64();
                var destroyEvent = r.Int64();
                version.DestroyTimeMs = destroyTime < 0 ? null : destroyTime;
                version.DestroyEventTimeMs = destroyEvent < 0 ? null : destroyEvent;
                var materialLength = r.Byte();
                if (version.Number != v + 1 || !Enum.IsDefined(version.State))
                {
                    throw Malformed();
                }

                if (materialLength == KeyVersionRecord.MaterialSize && version.State != KeyVersionState.Destroyed)
                {
                    var material = KeyVersionRecord.NewMaterialBuffer();
                    r.Bytes(KeyVersionRecord.MaterialSize).CopyTo(material);
                    version.SetMaterial(material);
                }
                else if (materialLength != 0 || version.State != KeyVersionState.Destroyed)
                {
                    throw Malformed();
                }

                key.Versions.Add(version);
            }

            if (key.Primary < 0 || key.Primary > key.Versions.Count)
            {
                throw Malformed();
            }

            var id = key.Name[(key.Name.LastIndexOf('/') + 1)..];
            if (!key.Name.StartsWith(ring.Name + "/cryptoKeys/", StringComparison.Ordinal) || !ring.Keys.TryAdd(id, key))
            {
                throw Malformed();
            }
        }
    }

    private static SealedStoreException Malformed() => new("the store's contents are malformed (written by an incompatible version?)");

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > _rest.Length)
            {
                throw Malformed();
            }

            var bytes = _rest[..count];
            _rest = _rest[count..];
            return bytes;
        }

        public byte Byte() => Bytes(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Bytes(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Bytes(8));

        /// <summary>A count, bounded by how many items of at least <paramref name="minItemSize"/> bytes can remain.</summary>
        public int Count(int minItemSize)
        {
            var count = Int32();
            if (count < 0 || count > _rest.Length / minItemSize)
            {
                throw Malformed();
            }

            return count;
        }

        public string String()
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));
            return Encoding.UTF8.GetString(Bytes(length));
        }
    }
}
