using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Strongroom.Kms.Tests.Support;

/// <summary>What the interceptor corrupts, simulating damage in transit on a real channel.</summary>
public enum Tamper
{
    /// <summary>Flip one bit of EncryptResponse.ciphertext_crc32c.</summary>
    ResponseCiphertextChecksum,

    /// <summary>Flip one bit of the ciphertext bytes, leaving the checksum as the server sent it.</summary>
    ResponseCiphertextBytes,

    /// <summary>Clear EncryptResponse.verified_plaintext_crc32c.</summary>
    ResponseVerifiedPlaintextFlag,

    /// <summary>Flip one bit of DecryptResponse.plaintext_crc32c.</summary>
    ResponsePlaintextChecksum,

    /// <summary>Flip one bit of DecryptResponse.plaintext, leaving the checksum as sent.</summary>
    ResponsePlaintextBytes,

    /// <summary>Flip one bit of EncryptRequest.plaintext after the client computed its checksum.</summary>
    RequestPlaintextBytes,
}

/// <summary>A client interceptor on the real mTLS channel that damages one field and counts calls.</summary>
public sealed class TamperingInterceptor(Tamper tamper) : Interceptor
{
    private int _calls;

    public int Calls => _calls;

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        Interlocked.Increment(ref _calls);
        if (tamper == Tamper.RequestPlaintextBytes && request is EncryptRequest encrypt)
        {
            var damaged = encrypt.Clone();
            damaged.Plaintext = Flip(encrypt.Plaintext);
            request = (TRequest)(object)damaged;
        }

        var call = continuation(request, context);
        return new AsyncUnaryCall<TResponse>(DamageAsync(call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private async Task<TResponse> DamageAsync<TResponse>(Task<TResponse> response)
    {
        var value = await response;
        switch (value)
        {
            case EncryptResponse e when tamper == Tamper.ResponseCiphertextChecksum:
                e.CiphertextCrc32C ^= 1;
                break;
            case EncryptResponse e when tamper == Tamper.ResponseCiphertextBytes:
                e.Ciphertext = Flip(e.Ciphertext);
                break;
            case EncryptResponse e when tamper == Tamper.ResponseVerifiedPlaintextFlag:
                e.VerifiedPlaintextCrc32C = false;
                break;
            case DecryptResponse d when tamper == Tamper.ResponsePlaintextChecksum:
                d.PlaintextCrc32C ^= 1;
                break;
            case DecryptResponse d when tamper == Tamper.ResponsePlaintextBytes:
                d.Plaintext = Flip(d.Plaintext);
                break;
        }

        return value;
    }

    private static ByteString Flip(ByteString bytes)
    {
        var copy = bytes.ToByteArray();
        copy[copy.Length / 2] ^= 0x01;
        return ByteString.CopyFrom(copy);
    }
}
