namespace Strongroom.Fuzz;

/// <summary>
/// A deterministic, seeded mutator (bit flips, interesting bytes, truncation, insertion, deletion,
/// duplication, splicing, format tokens): the CI pass and the fallback when AFL++ is not installed.
/// The same seed and corpus give the same inputs on every machine.
/// </summary>
public sealed class Mutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x20, 0x0A, 0x0D, 0x09, (byte)'"', (byte)'\\', (byte)',', (byte)'.', (byte)'=', (byte)'-', (byte)'_', (byte)'/', (byte)'+', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)':', 0xC3, 0xED, 0xF0];

    private static readonly byte[][] Tokens =
    [
        "\""u8.ToArray(), "\\u0000"u8.ToArray(), "\\ud800"u8.ToArray(), "null"u8.ToArray(), "true"u8.ToArray(), "-1"u8.ToArray(), "1e999"u8.ToArray(),
        "9223372036854775808"u8.ToArray(), "2147483648"u8.ToArray(), "-0"u8.ToArray(), "[]"u8.ToArray(), "{}"u8.ToArray(), "\"\":"u8.ToArray(),
        "=="u8.ToArray(), "AAAA"u8.ToArray(), "ssh-ed25519 "u8.ToArray(), "-----BEGIN "u8.ToArray(), "-----END "u8.ToArray(), "\r\n"u8.ToArray(),
        "projects/"u8.ToArray(), "/cryptoKeyVersions/"u8.ToArray(), "/keyRings/"u8.ToArray(), "/cryptoKeys/"u8.ToArray(), ".."u8.ToArray(),
        [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0x00, 0x00, 0x00, 0x00], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x12, 0x00], [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
    ];

    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _corpus;
    private readonly int _maxLength;

    public Mutator(int seed, IReadOnlyList<byte[]> corpus, int maxLength = 64 * 1024)
    {
        ArgumentNullException.ThrowIfNull(corpus);
#pragma warning disable CA5394 // Not security: a seeded generator is what makes the pass reproducible.
        _random = new Random(seed);
#pragma warning restore CA5394
        _corpus = corpus.Count > 0 ? corpus : [[]];
        _maxLength = maxLength;
    }

    /// <summary>The next input: a corpus entry with 1–4 stacked mutations.</summary>
    public byte[] Next()
    {
        var data = new List<byte>(_corpus[Pick(_corpus.Count)]);
        int rounds = 1 + Pick(4);
        for (int i = 0; i < rounds; i++)
        {
            Mutate(data);
        }

        if (data.Count > _maxLength)
        {
            data.RemoveRange(_maxLength, data.Count - _maxLength);
        }

        return [.. data];
    }

#pragma warning disable CA5394
    private int Pick(int count) => _random.Next(count);
#pragma warning restore CA5394

    private void Mutate(List<byte> data)
    {
        switch (Pick(10))
        {
            case 0 when data.Count > 0: // bit flip
                {
                    int at = Pick(data.Count);
                    data[at] ^= (byte)(1 << Pick(8));
                    break;
                }

            case 1 when data.Count > 0: // interesting byte
                data[Pick(data.Count)] = InterestingBytes[Pick(InterestingBytes.Length)];
                break;
            case 2 when data.Count > 0: // truncation
                {
                    int keep = Pick(data.Count + 1);
                    data.RemoveRange(keep, data.Count - keep);
                }

                break;
            case 3: // random bytes inserted
                {
                    int at = Pick(data.Count + 1);
                    int count = 1 + Pick(8);
                    for (int i = 0; i < count; i++)
                    {
                        data.Insert(at, (byte)Pick(256));
                    }

                    break;
                }

            case 4 when data.Count > 0: // deletion of a range
                {
                    int at = Pick(data.Count);
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + Pick(16)));
                    break;
                }

            case 5 when data.Count > 0: // duplication of a range
                {
                    int at = Pick(data.Count);
                    int length = Math.Min(data.Count - at, 1 + Pick(64));
                    data.InsertRange(Pick(data.Count + 1), data.GetRange(at, length));
                    break;
                }

            case 6: // splice: a prefix of this input and a suffix of another corpus entry
                {
                    byte[] other = _corpus[Pick(_corpus.Count)];
                    int keep = Pick(data.Count + 1);
                    data.RemoveRange(keep, data.Count - keep);
                    data.AddRange(other.AsSpan(Pick(other.Length + 1)).ToArray());
                    break;
                }

            case 7: // format token inserted or overwritten
                {
                    byte[] token = Tokens[Pick(Tokens.Length)];
                    int at = Pick(data.Count + 1);
                    if (Pick(2) == 0 || at + token.Length > data.Count)
                    {
                        data.InsertRange(at, token);
                    }
                    else
                    {
                        for (int i = 0; i < token.Length; i++)
                        {
                            data[at + i] = token[i];
                        }
                    }

                    break;
                }

            case 8 when data.Count > 0: // arithmetic on one byte
                {
                    int at = Pick(data.Count);
                    data[at] = (byte)(data[at] + Pick(71) - 35);
                    break;
                }

            default: // byte swap
                if (data.Count > 1)
                {
                    int a = Pick(data.Count), b = Pick(data.Count);
                    (data[a], data[b]) = (data[b], data[a]);
                }

                break;
        }
    }
}
