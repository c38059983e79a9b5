namespace Strongroom.Kms.Storage;

/// <summary>
/// A sealed store or backup cannot be used: wrong passphrase, corruption, a weakened header, unsafe
/// file permissions. The message is meant for the operator as is (it names files, never secrets);
/// the service prints it and exits without a stack trace.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1032:Implement standard exception constructors",
    Justification = "Always created with an operator-facing message.")]
public sealed class SealedStoreException(string message) : Exception(message);
