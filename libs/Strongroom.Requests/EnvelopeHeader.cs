using Google.Protobuf;
using Strongroom.Core;
using Strongroom.Runner.V1;

namespace Strongroom.Requests;

/// <summary>
/// The signed header of a Strongroom envelope (DESIGN §3.2), parsed strictly: the bytes must be
/// exactly the deterministic encoding of what they parse to, so a header with unknown fields,
/// repeated fields or any non-canonical encoding is refused rather than read by a verifier that
/// would skip what it does not know.
/// </summary>
public static class EnvelopeHeader
{
    /// <summary>Largest header accepted; a real one is a few hundred bytes.</summary>
    public const int MaxSize = 4096;

    public static Header Parse(ByteString bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0 || bytes.Length > MaxSize)
        {
            throw StrongroomException.InvalidArgument("envelope.header", $"must be 1-{MaxSize} bytes");
        }

        Header header;
        try
        {
            header = Header.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            throw StrongroomException.InvalidArgument("envelope.header", "not a strongroom.runner.v1.Header");
        }

        if (!Serialize(header).Span.SequenceEqual(bytes.Span))
        {
            throw StrongroomException.InvalidArgument("envelope.header", "not the deterministic encoding of a strongroom.runner.v1.Header (unknown or repeated fields)");
        }

        return header;
    }

    /// <summary>The deterministic encoding clients sign: fields in number order, defaults omitted, no unknown fields.</summary>
    public static ByteString Serialize(Header header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var buffer = new byte[header.CalculateSize()];
        var output = new CodedOutputStream(buffer);
        header.WriteTo(output);
        output.CheckNoSpaceLeft();
        return ByteString.CopyFrom(buffer);
    }
}
