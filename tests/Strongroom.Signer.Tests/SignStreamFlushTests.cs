using Google.Protobuf;
using Grpc.Core;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Tests;

/// <summary>SignStream buffers answers only while more requests are waiting: a caller that waits for each answer before sending the next still gets every one.</summary>
public sealed class SignStreamFlushTests(SignerStack stack) : IClassFixture<SignerStack>
{
    [Fact]
    public async Task A_caller_that_waits_for_each_answer_before_sending_the_next_gets_every_answer()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var call = stack.Runner.SignStream(cancellationToken: deadline.Token);
        for (ulong i = 1; i <= 5; i++)
        {
            await call.RequestStream.WriteAsync(new Api.SignStreamRequest { Sequence = i, Request = new Api.SignRequest { Payload = ByteString.CopyFromUtf8($"{{\"n\":{i}}}") } }, deadline.Token);
            Assert.True(await call.ResponseStream.MoveNext(deadline.Token));
            Assert.Equal(i, call.ResponseStream.Current.Sequence);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(deadline.Token));
    }
}
