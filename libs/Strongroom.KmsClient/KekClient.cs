using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Strongroom.Crypto;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.KmsClient;

/// <summary>
/// The one client keyservice and signer use for their key-encryption keys, against the local kms or
/// Google Cloud KMS alike (same v1 API). Each application key gets its own CryptoKey, with no
/// automatic rotation; application version N is wrapped by KMS version N.
/// <para>
/// Integrity, as Cloud KMS documents it: every Encrypt sends <c>plaintext_crc32c</c> and
/// <c>additional_authenticated_data_crc32c</c> and requires both <c>verified_*</c> flags plus a
/// matching <c>ciphertext_crc32c</c>; every Decrypt sends <c>ciphertext_crc32c</c> and the AAD's and
/// checks <c>plaintext_crc32c</c>. Any mismatch is a retryable <see cref="KmsErrorKind.Integrity"/>
/// error and the returned bytes are never used.
/// </para>
/// Every call has a deadline (the channel's interceptor); only idempotent calls are retried.
/// </summary>
public sealed partial class KekClient : IDisposable
{
    private const string VersionsSegment = "/cryptoKeyVersions/";

    private readonly KeyManagementService.KeyManagementServiceClient _client;
    private readonly KmsClientOptions _options;
    private readonly IDisposable? _ownedChannel;
    private readonly string _location;
    private readonly string _keyRingId;

    /// <summary>Over an existing call invoker (tests add interceptors here); the caller owns the channel.</summary>
    public KekClient(CallInvoker invoker, KmsClientOptions options)
        : this(new KeyManagementService.KeyManagementServiceClient(invoker), options, null)
    {
    }

    private KekClient(KeyManagementService.KeyManagementServiceClient client, KmsClientOptions options, IDisposable? ownedChannel)
    {
        var ring = Validate(options);

        _client = client;
        _options = options;
        _ownedChannel = ownedChannel;
        _location = ring.Groups["location"].Value;
        _keyRingId = ring.Groups["ring"].Value;
    }

    /// <summary>The key ring's resource name.</summary>
    public string KeyRing => _options.KeyRing;

    /// <summary>The local kms over mTLS: this workload's certificate, the server's URI SAN must be <see cref="KmsClientOptions.Identity"/>.</summary>
    public static KekClient CreateLocal(KmsClientOptions options, ReloadingCertificate clientCertificate, PeerCertificateValidator validator)
    {
        if (options.Mode != KmsMode.Local)
        {
            throw new ArgumentException("options are not for the local kms", nameof(options));
        }

        Validate(options);

        var downstream = new DownstreamOptions
        {
            Address = options.EffectiveAddress,
            Identity = options.Identity,
            Deadline = options.Deadline,
            MaxReceiveMessageBytes = options.MaxReceiveMessageBytes,
        };
        var channel = MtlsChannelFactory.CreateChannel(downstream, clientCertificate, validator);
        var invoker = channel.Intercept(new DefaultDeadlineInterceptor(options.Deadline));
        return new KekClient(new KeyManagementService.KeyManagementServiceClient(invoker), options, channel);
    }

    /// <summary>
    /// Google Cloud KMS over TLS with OAuth access tokens from Application Default Credentials
    /// (Workload Identity on GKE, a service-account key file via GOOGLE_APPLICATION_CREDENTIALS
    /// elsewhere), attached per call because Grpc.Auth is not available. Credentials load on the first call.
    /// </summary>
    public static KekClient CreateGoogle(KmsClientOptions options)
    {
        if (options.Mode != KmsMode.Google)
        {
            throw new ArgumentException("options are not for Google Cloud KMS", nameof(options));
        }

        Validate(options);

        var channel = GrpcChannel.ForAddress(options.EffectiveAddress, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, GoogleAccessTokens.CallCredentials()),
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
        });
        var invoker = channel.Intercept(new DefaultDeadlineInterceptor(options.Deadline));
        return new KekClient(new KeyManagementService.KeyManagementServiceClient(invoker), options, channel);
    }

    /// <summary>The CryptoKey resource name of <paramref name="keyId"/> in this ring.</summary>
    public string CryptoKeyName(string keyId) => _options.KeyRing + "/cryptoKeys/" + ValidKeyId(keyId);

    /// <summary>The version resource name.</summary>
    public string VersionName(string keyId, int version) =>
        CryptoKeyName(keyId) + VersionsSegment + ValidVersion(version).ToString(CultureInfo.InvariantCulture);

    /// <summary>Makes sure the key ring exists (Get, then Create when NOT_FOUND; a concurrent create is fine).</summary>
    public async Task EnsureKeyRingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await ReadAsync("GetKeyRing", Name(_options.KeyRing), o => _client.GetKeyRingAsync(new GetKeyRingRequest { Name = _options.KeyRing }, o), cancellationToken);
        }
        catch (KmsException ex) when (ex.Kind == KmsErrorKind.NotFound)
        {
            var parent = _options.KeyRing[..^("/keyRings/".Length + _keyRingId.Length)];
            try
            {
                await MutateAsync("CreateKeyRing", Parent(parent), o => _client.CreateKeyRingAsync(new CreateKeyRingRequest { Parent = parent, KeyRingId = _keyRingId }, o), cancellationToken);
            }
            catch (KmsException raced) when (raced.Kind == KmsErrorKind.AlreadyExists)
            {
                // Another replica created it first.
            }
        }
    }

    /// <summary>
    /// Creates the CryptoKey for one application key: ENCRYPT_DECRYPT, GOOGLE_SYMMETRIC_ENCRYPTION,
    /// no rotation schedule, the given destroy grace (fixed for the key's life). Unless
    /// <paramref name="skipInitialVersion"/>, version 1 is created and made primary; returns the
    /// primary version number (0 when skipped). An existing key is ALREADY_EXISTS.
    /// </summary>
    public async Task<int> CreateCryptoKeyAsync(string keyId, TimeSpan destroyGrace, bool skipInitialVersion = false, CancellationToken cancellationToken = default)
    {
        var request = new CreateCryptoKeyRequest
        {
            Parent = _options.KeyRing,
            CryptoKeyId = ValidKeyId(keyId),
            SkipInitialVersionCreation = skipInitialVersion,
            CryptoKey = new CryptoKey
            {
                Purpose = CryptoKey.Types.CryptoKeyPurpose.EncryptDecrypt,
                VersionTemplate = new CryptoKeyVersionTemplate
                {
                    Algorithm = CryptoKeyVersion.Types.CryptoKeyVersionAlgorithm.GoogleSymmetricEncryption,
                    ProtectionLevel = ProtectionLevel.Software,
                },
                // No rotation_period / next_rotation_time: a KEK rotates only with its application key.
                DestroyScheduledDuration = Duration.FromTimeSpan(destroyGrace),
            },
        };
        var key = await MutateAsync("CreateCryptoKey", Parent(request.Parent), o => _client.CreateCryptoKeyAsync(request, o), cancellationToken);
        return key.Primary is { } primary ? ParseVersion(CryptoKeyName(keyId), primary.Name) : 0;
    }

    /// <summary>The CryptoKey's primary version (null when it has none) and destroy grace.</summary>
    public async Task<KmsCryptoKeyInfo> GetCryptoKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var name = CryptoKeyName(keyId);
        var key = await ReadAsync("GetCryptoKey", Name(name), o => _client.GetCryptoKeyAsync(new GetCryptoKeyRequest { Name = name }, o), cancellationToken);
        return new KmsCryptoKeyInfo(
            name,
            key.Primary is { } primary ? ParseVersion(name, primary.Name) : null,
            key.DestroyScheduledDuration?.ToTimeSpan());
    }

    /// <summary>Every version of the key, in version order (all pages).</summary>
    public async Task<IReadOnlyList<KmsVersionInfo>> ListVersionsAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var parent = CryptoKeyName(keyId);
        var versions = new List<KmsVersionInfo>();
        var token = "";
        do
        {
            var request = new ListCryptoKeyVersionsRequest { Parent = parent, PageSize = 1000, PageToken = token };
            var page = await ReadAsync("ListCryptoKeyVersions", Parent(parent), o => _client.ListCryptoKeyVersionsAsync(request, o), cancellationToken);
            versions.AddRange(page.CryptoKeyVersions.Select(v => ToInfo(parent, v)));
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        return versions.OrderBy(v => v.Version).ToList();
    }

    /// <summary>Adds the next version (ENABLED, not yet primary unless the key had none); returns its number.</summary>
    public async Task<int> CreateVersionAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var parent = CryptoKeyName(keyId);
        var version = await MutateAsync("CreateCryptoKeyVersion", Parent(parent),
            o => _client.CreateCryptoKeyVersionAsync(new CreateCryptoKeyVersionRequest { Parent = parent }, o), cancellationToken);
        return ParseVersion(parent, version.Name);
    }

    /// <summary>Makes <paramref name="version"/> the one Encrypt uses when given the key name.</summary>
    public async Task SetPrimaryAsync(string keyId, int version, CancellationToken cancellationToken = default)
    {
        var name = CryptoKeyName(keyId);
        var request = new UpdateCryptoKeyPrimaryVersionRequest
        {
            Name = name,
            CryptoKeyVersionId = ValidVersion(version).ToString(CultureInfo.InvariantCulture),
        };
        await MutateAsync("UpdateCryptoKeyPrimaryVersion", Name(name), o => _client.UpdateCryptoKeyPrimaryVersionAsync(request, o), cancellationToken);
    }

    /// <summary>Encrypts with the key's primary version; the result names the version used.</summary>
    public Task<KmsCiphertext> EncryptAsync(string keyId, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken = default) =>
        EncryptCoreAsync(keyId, null, plaintext, aad, cancellationToken);

    /// <summary>Encrypts with exactly <paramref name="version"/> (application version N is wrapped by KMS version N).</summary>
    public Task<KmsCiphertext> EncryptAsync(string keyId, int version, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken = default) =>
        EncryptCoreAsync(keyId, ValidVersion(version), plaintext, aad, cancellationToken);

    /// <summary>Decrypts a ciphertext made by any version of the key (the ciphertext names it).</summary>
    public async Task<byte[]> DecryptAsync(string keyId, ReadOnlyMemory<byte> ciphertext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken = default)
    {
        var name = CryptoKeyName(keyId);
        var request = new DecryptRequest
        {
            Name = name,
            Ciphertext = UnsafeByteOperations.UnsafeWrap(ciphertext),
            AdditionalAuthenticatedData = UnsafeByteOperations.UnsafeWrap(aad),
            CiphertextCrc32C = Crc32C.ComputeAsInt64(ciphertext.Span),
            AdditionalAuthenticatedDataCrc32C = Crc32C.ComputeAsInt64(aad.Span),
        };
        return await ReadAsync("Decrypt", Name(name), async o =>
        {
            var response = await _client.DecryptAsync(request, o);
            // Checked before the bytes leave this method: a corrupted DEK must never be used.
            if (response.PlaintextCrc32C is not { } crc || !Crc32C.Matches(response.Plaintext.Span, crc))
            {
                throw Integrity("Decrypt", name, "plaintext_crc32c does not match the plaintext received");
            }

            return response.Plaintext.ToByteArray();
        }, cancellationToken);
    }

    public Task<KmsVersionInfo> DisableVersionAsync(string keyId, int version, CancellationToken cancellationToken = default) =>
        SetStateAsync(keyId, version, CryptoKeyVersion.Types.CryptoKeyVersionState.Disabled, cancellationToken);

    public Task<KmsVersionInfo> EnableVersionAsync(string keyId, int version, CancellationToken cancellationToken = default) =>
        SetStateAsync(keyId, version, CryptoKeyVersion.Types.CryptoKeyVersionState.Enabled, cancellationToken);

    /// <summary>Schedules destruction after the key's grace period (DESTROY_SCHEDULED; restorable until its destroy time).</summary>
    public async Task<KmsVersionInfo> ScheduleDestroyAsync(string keyId, int version, CancellationToken cancellationToken = default)
    {
        var name = VersionName(keyId, version);
        var result = await MutateAsync("DestroyCryptoKeyVersion", Name(name),
            o => _client.DestroyCryptoKeyVersionAsync(new DestroyCryptoKeyVersionRequest { Name = name }, o), cancellationToken);
        return ToInfo(CryptoKeyName(keyId), result);
    }

    /// <summary>Cancels a scheduled destruction; the version comes back DISABLED.</summary>
    public async Task<KmsVersionInfo> RestoreAsync(string keyId, int version, CancellationToken cancellationToken = default)
    {
        var name = VersionName(keyId, version);
        var result = await MutateAsync("RestoreCryptoKeyVersion", Name(name),
            o => _client.RestoreCryptoKeyVersionAsync(new RestoreCryptoKeyVersionRequest { Name = name }, o), cancellationToken);
        return ToInfo(CryptoKeyName(keyId), result);
    }

    /// <summary>The version's current state (a read, retried when transient).</summary>
    public async Task<KmsVersionInfo> GetVersionStateAsync(string keyId, int version, CancellationToken cancellationToken = default)
    {
        var name = VersionName(keyId, version);
        var result = await ReadAsync("GetCryptoKeyVersion", Name(name),
            o => _client.GetCryptoKeyVersionAsync(new GetCryptoKeyVersionRequest { Name = name }, o), cancellationToken);
        return ToInfo(CryptoKeyName(keyId), result);
    }

    public void Dispose() => _ownedChannel?.Dispose();

    private async Task<KmsCiphertext> EncryptCoreAsync(string keyId, int? version, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken)
    {
        var keyName = CryptoKeyName(keyId);
        var name = version is { } v ? VersionName(keyId, v) : keyName;
        var request = new EncryptRequest
        {
            Name = name,
            // Wrapped, not copied: no extra copy of the DEK is left on the heap.
            Plaintext = UnsafeByteOperations.UnsafeWrap(plaintext),
            AdditionalAuthenticatedData = UnsafeByteOperations.UnsafeWrap(aad),
            PlaintextCrc32C = Crc32C.ComputeAsInt64(plaintext.Span),
            AdditionalAuthenticatedDataCrc32C = Crc32C.ComputeAsInt64(aad.Span),
        };
        return await ReadAsync("Encrypt", Name(name), async o =>
        {
            var response = await _client.EncryptAsync(request, o);
            if (!response.VerifiedPlaintextCrc32C || !response.VerifiedAdditionalAuthenticatedDataCrc32C)
            {
                throw Integrity("Encrypt", name, "the KMS did not confirm the request checksums (verified_*_crc32c false)");
            }

            if (response.CiphertextCrc32C is not { } crc || !Crc32C.Matches(response.Ciphertext.Span, crc))
            {
                throw Integrity("Encrypt", name, "ciphertext_crc32c does not match the ciphertext received");
            }

            var used = ParseVersion(keyName, response.Name);
            if (version is { } expected && used != expected)
            {
                throw Integrity("Encrypt", name, $"the KMS encrypted with version {used}, not {expected}");
            }

            return new KmsCiphertext(response.Ciphertext.ToByteArray(), response.Name, used);
        }, cancellationToken);
    }

    private async Task<KmsVersionInfo> SetStateAsync(string keyId, int version, CryptoKeyVersion.Types.CryptoKeyVersionState state, CancellationToken cancellationToken)
    {
        var name = VersionName(keyId, version);
        var request = new UpdateCryptoKeyVersionRequest
        {
            CryptoKeyVersion = new CryptoKeyVersion { Name = name, State = state },
            UpdateMask = new FieldMask { Paths = { "state" } },
        };
        var result = await MutateAsync("UpdateCryptoKeyVersion", new Routing("crypto_key_version.name", name), o => _client.UpdateCryptoKeyVersionAsync(request, o), cancellationToken);
        return ToInfo(CryptoKeyName(keyId), result);
    }

    /// <summary>An idempotent call (no state changes): retried on transient failures and checksum mismatches.</summary>
    private async Task<T> ReadAsync<T>(string method, Routing resource, Func<CallOptions, Task<T>> call, CancellationToken cancellationToken)
    {
        var delay = _options.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(Options(resource, cancellationToken));
            }
            catch (Exception ex) when (ex is RpcException or KmsException)
            {
                var failure = ex as KmsException ?? Map(method, resource, (RpcException)ex);
                if (!failure.IsRetryable || attempt >= _options.MaxAttempts || cancellationToken.IsCancellationRequested)
                {
                    throw failure;
                }
            }

            await Task.Delay(delay, cancellationToken);
            delay *= 2;
        }
    }

    /// <summary>A call that changes state: tried once (a retry after a lost reply could act twice).</summary>
    private static async Task<T> MutateAsync<T>(string method, Routing resource, Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(Options(resource, cancellationToken));
        }
        catch (RpcException ex)
        {
            throw Map(method, resource, ex);
        }
    }

    private Task<T> ReadAsync<T>(string method, Routing resource, Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken) =>
        ReadAsync(method, resource, async o => await call(o), cancellationToken);

    /// <summary>The request field that names the resource, sent as Google's routing header.</summary>
    private readonly record struct Routing(string Field, string Resource)
    {
        public override string ToString() => Resource;
    }

    private static Routing Name(string resource) => new("name", resource);

    private static Routing Parent(string resource) => new("parent", resource);

    /// <summary>Routing header Google's client libraries send (Cloud KMS uses it for regional routing).</summary>
    private static CallOptions Options(Routing resource, CancellationToken cancellationToken) =>
        new(
            headers: new Metadata { { "x-goog-request-params", resource.Field + "=" + Uri.EscapeDataString(resource.Resource) } },
            cancellationToken: cancellationToken);

    private static KmsException Map(string method, Routing resource, RpcException ex)
    {
        var kind = ex.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.OutOfRange => KmsErrorKind.InvalidArgument,
            StatusCode.NotFound => KmsErrorKind.NotFound,
            StatusCode.AlreadyExists => KmsErrorKind.AlreadyExists,
            StatusCode.FailedPrecondition => KmsErrorKind.FailedPrecondition,
            StatusCode.PermissionDenied => KmsErrorKind.PermissionDenied,
            StatusCode.Unauthenticated => KmsErrorKind.Unauthenticated,
            StatusCode.ResourceExhausted => KmsErrorKind.ResourceExhausted,
            StatusCode.Unavailable => KmsErrorKind.Unavailable,
            StatusCode.DeadlineExceeded => KmsErrorKind.DeadlineExceeded,
            _ => KmsErrorKind.Internal,
        };
        return new KmsException(kind, $"kms {method} on {resource} failed: {ex.StatusCode}: {ex.Status.Detail}", ex);
    }

    private static KmsException Integrity(string method, object resource, string problem) =>
        new(KmsErrorKind.Integrity, $"kms {method} on {resource}: integrity check failed, response discarded: {problem}");

    private static int ParseVersion(string cryptoKeyName, string versionName)
    {
        var prefix = cryptoKeyName + VersionsSegment;
        if (!versionName.StartsWith(prefix, StringComparison.Ordinal)
            || !int.TryParse(versionName.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            || version < 1)
        {
            throw Integrity("parse", cryptoKeyName, $"the KMS returned '{versionName}', not a version of this key");
        }

        return version;
    }

    private static KmsVersionInfo ToInfo(string cryptoKeyName, CryptoKeyVersion version) => new(
        ParseVersion(cryptoKeyName, version.Name),
        version.State switch
        {
            CryptoKeyVersion.Types.CryptoKeyVersionState.Enabled => KmsVersionState.Enabled,
            CryptoKeyVersion.Types.CryptoKeyVersionState.Disabled => KmsVersionState.Disabled,
            CryptoKeyVersion.Types.CryptoKeyVersionState.DestroyScheduled => KmsVersionState.DestroyScheduled,
            CryptoKeyVersion.Types.CryptoKeyVersionState.Destroyed => KmsVersionState.Destroyed,
            _ => KmsVersionState.Other,
        },
        version.DestroyTime?.ToDateTimeOffset(),
        version.DestroyEventTime?.ToDateTimeOffset());

    private static Match Validate(KmsClientOptions options)
    {
        var ring = KeyRingPattern().Match(options.KeyRing);
        if (!ring.Success)
        {
            throw new ArgumentException("KeyRing must be projects/{p}/locations/{l}/keyRings/{r}", nameof(options));
        }

        if (!Uri.TryCreate(options.EffectiveAddress, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("Address must be an https:// URL (Local: the kms admin listener)", nameof(options));
        }

        return ring;
    }

    private static string ValidKeyId(string keyId) =>
        IdPattern().IsMatch(keyId) ? keyId : throw new ArgumentException("crypto key id must match [a-zA-Z0-9_-]{1,63}", nameof(keyId));

    private static int ValidVersion(int version) =>
        version >= 1 ? version : throw new ArgumentOutOfRangeException(nameof(version), "versions are numbered from 1");

    [GeneratedRegex(@"\Aprojects/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?/locations/(?<location>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)/keyRings/(?<ring>[a-zA-Z0-9_-]{1,63})\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyRingPattern();

    [GeneratedRegex(@"\A[a-zA-Z0-9_-]{1,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
