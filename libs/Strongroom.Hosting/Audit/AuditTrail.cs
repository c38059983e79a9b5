using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strongroom.Hosting.Audit;

/// <summary>
/// One audited event. It names who did what to which key and how it ended — never key material,
/// plaintext or passphrases (callers pass names and version numbers only).
/// </summary>
public sealed record AuditEvent(
    string Caller,
    string Action,
    string Outcome,
    string? Key = null,
    long? Version = null,
    string? Detail = null,
    string? Peer = null);

/// <summary>The newest entry of a chain: what an operator anchors in the key log.</summary>
public readonly record struct AuditHead(ulong Size, byte[] Hash, long Time);

/// <summary>
/// Append-only, hash-chained audit log (JSON lines). Each line is
/// <c>{"entry":{seq,time,service,caller,peer,action,key,version,outcome,detail,prev},"hash":hex}</c> with
/// hash = SHA-256(prev hash || exact UTF-8 bytes of the entry object). Editing, reordering or
/// deleting a line breaks the chain; truncating the tail is caught against an anchored head.
/// </summary>
public sealed class AuditTrail : IDisposable
{
    private static readonly JsonSerializerOptions EntryJson = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    private readonly string _service;
    private readonly TimeProvider _time;
    private readonly FileStream _stream;
    private readonly Lock _gate = new();
    private ulong _size;
    private byte[] _head;
    private long _headTime;

    private AuditTrail(string service, FileStream stream, AuditHead head, TimeProvider time)
    {
        _service = service;
        _stream = stream;
        _size = head.Size;
        _head = head.Hash;
        _headTime = head.Time;
        _time = time;
    }

    public static byte[] EmptyHash => new byte[32];

    /// <summary>
    /// Opens (or creates, 0600) the log, verifying the existing chain first. A torn last line from a
    /// crash mid-write is cut off; any other break refuses to open, because it means tampering.
    /// </summary>
    public static AuditTrail Open(string path, string service, TimeProvider? time = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(full, options);
        try
        {
            var result = Verify(stream, expectedHead: null, allowTornTail: true);
            if (!result.Valid)
            {
                throw new InvalidOperationException($"audit log {full} fails verification at line {result.FailedLine}: {result.Problem}");
            }

            stream.SetLength(result.ValidBytes);
            stream.Seek(0, SeekOrigin.End);
            return new AuditTrail(service, stream, result.Head, time ?? TimeProvider.System);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public AuditHead Head
    {
        get
        {
            lock (_gate)
            {
                return new AuditHead(_size, (byte[])_head.Clone(), _headTime);
            }
        }
    }

    public void Append(AuditEvent e)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            var entry = new Entry(_size + 1, now, _service, e.Caller, e.Peer, e.Action, e.Key, e.Version, e.Outcome, e.Detail,
                Convert.ToHexStringLower(_head));
            var entryBytes = JsonSerializer.SerializeToUtf8Bytes(entry, EntryJson);
            var hash = ChainHash(_head, entryBytes);
            var line = new byte[entryBytes.Length + 100];
            var written = 0;
            Write(line, ref written, "{\"entry\":"u8);
            Write(line, ref written, entryBytes);
            Write(line, ref written, ",\"hash\":\""u8);
            written += Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hash), line.AsSpan(written));
            Write(line, ref written, "\"}\n"u8);
            _stream.Write(line, 0, written);
            // Flushed to the kernel per entry; fsync is left to the OS so auditing stays off the hot path's critical latency.
            _stream.Flush(flushToDisk: false);
            _size++;
            _head = hash;
            _headTime = now;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
        }
    }

    /// <summary>The result of checking a whole log file.</summary>
    public sealed record VerifyResult(bool Valid, AuditHead Head, long ValidBytes, int FailedLine, string Problem);

    /// <summary>Verifies a log file; with <paramref name="expectedHead"/> also detects a truncated or rewritten tail.</summary>
    public static VerifyResult VerifyFile(string path, AuditHead? expectedHead = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Verify(stream, expectedHead, allowTornTail: false);
    }

    private static VerifyResult Verify(Stream stream, AuditHead? expectedHead, bool allowTornTail)
    {
        stream.Seek(0, SeekOrigin.Begin);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var data = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        var prev = EmptyHash;
        ulong size = 0;
        long time = 0;
        var offset = 0;
        var lineNo = 0;
        while (offset < data.Length)
        {
            lineNo++;
            var newline = data[offset..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                // A line without its newline is a write cut short by a crash, never an acknowledged entry.
                if (allowTornTail)
                {
                    break;
                }

                return Fail(lineNo, "unterminated last line");
            }

            var line = data.Slice(offset, newline);
            if (!TryCheckLine(line, prev, size + 1, out var hash, out var entryTime, out var problem))
            {
                return Fail(lineNo, problem);
            }

            prev = hash;
            size++;
            time = entryTime;
            offset += newline + 1;
        }

        var head = new AuditHead(size, prev, time);
        if (expectedHead is { } expected)
        {
            if (size < expected.Size)
            {
                return new VerifyResult(false, head, offset, lineNo, "log is shorter than the anchored head: entries were deleted");
            }

            if (size == expected.Size && !CryptographicOperations.FixedTimeEquals(prev, expected.Hash))
            {
                return new VerifyResult(false, head, offset, lineNo, "log head differs from the anchored head");
            }
        }

        return new VerifyResult(true, head, offset, 0, "");

        VerifyResult Fail(int line, string problem) => new(false, new AuditHead(size, prev, time), offset, line, problem);
    }

    private static bool TryCheckLine(ReadOnlySpan<byte> line, byte[] prev, ulong expectedSeq, out byte[] hash, out long time, out string problem)
    {
        hash = [];
        time = 0;
        try
        {
            var reader = new Utf8JsonReader(line);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            var entryElement = root.GetProperty("entry");
            var recorded = Convert.FromHexString(root.GetProperty("hash").GetString() ?? "");
            var entry = entryElement.Deserialize<Entry>(EntryJson)
                ?? throw new JsonException("empty entry");
            // Hash the entry exactly as stored, not a re-serialization, so any edit shows.
            var raw = Encoding.UTF8.GetBytes(entryElement.GetRawText());
            hash = ChainHash(prev, raw);
            time = entry.Time;
            if (entry.Seq != expectedSeq)
            {
                problem = $"sequence {entry.Seq}, expected {expectedSeq}: a line was deleted or reordered";
                return false;
            }

            if (!string.Equals(entry.Prev, Convert.ToHexStringLower(prev), StringComparison.Ordinal))
            {
                problem = "previous-hash link broken";
                return false;
            }

            if (!CryptographicOperations.FixedTimeEquals(hash, recorded))
            {
                problem = "entry hash mismatch: the line was edited";
                return false;
            }

            problem = "";
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            problem = "malformed line";
            return false;
        }
    }

    private static byte[] ChainHash(byte[] prev, ReadOnlySpan<byte> entry)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(prev);
        sha.AppendData(entry);
        return sha.GetHashAndReset();
    }

    private static void Write(byte[] target, ref int offset, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(target.AsSpan(offset));
        offset += bytes.Length;
    }

    private sealed record Entry(
        ulong Seq,
        long Time,
        string Service,
        string Caller,
        string? Peer,
        string Action,
        string? Key,
        long? Version,
        string Outcome,
        string? Detail,
        string Prev);
}
