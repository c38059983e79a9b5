/**
 * The one place that says which Google Cloud permissions Strongroom's key-holding services get.
 * Pure data, no Pulumi resources: the program (kms.ts) and the checks (checks.ts) both read it, and
 * the README explains each entry.
 */

/** The services that hold application keys (DESIGN §1). Each gets one key ring and one service account. */
export const KEY_HOLDING_SERVICES = ["keyservice", "signer"] as const;
export type KeyHoldingService = (typeof KEY_HOLDING_SERVICES)[number];

/** Key ring id (and GCP service account id) of a service: `strongroom-keyservice`, `strongroom-signer`. */
export function keyRingName(service: KeyHoldingService): string {
    return `strongroom-${service}`;
}

export function serviceAccountId(service: KeyHoldingService): string {
    return `strongroom-${service}`;
}

/** Predefined role for Encrypt/Decrypt (useToEncrypt, useToDecrypt on every key in the ring). */
export const ENCRYPTER_DECRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/** Workload Identity: lets a Kubernetes ServiceAccount act as the GCP service account. */
export const WORKLOAD_IDENTITY_USER_ROLE = "roles/iam.workloadIdentityUser";

/** Id of the project-level custom role that is granted on each key ring only. */
export const CUSTODIAN_ROLE_ID = "strongroomKmsKeyCustodian";

/**
 * Exactly the calls libs/Strongroom.KmsClient (KekClient) makes besides Encrypt/Decrypt, mapped to
 * their permissions. No *.setIamPolicy / *.getIamPolicy, no import, no keyRings.create (Pulumi
 * creates the rings), no cryptoKeys.list (KekClient never lists keys), no wildcards.
 */
export const CUSTODIAN_PERMISSIONS: readonly string[] = [
    "cloudkms.keyRings.get", // GetKeyRing (EnsureKeyRingAsync; the ring exists, so no create)
    "cloudkms.cryptoKeys.create", // CreateCryptoKey: one KEK per application key
    "cloudkms.cryptoKeys.get", // GetCryptoKey: primary version, destroy grace
    "cloudkms.cryptoKeys.update", // UpdateCryptoKeyPrimaryVersion after a rotation
    "cloudkms.cryptoKeyVersions.create", // CreateCryptoKeyVersion: rotation
    "cloudkms.cryptoKeyVersions.get", // GetCryptoKeyVersion: state re-checks
    "cloudkms.cryptoKeyVersions.list", // ListCryptoKeyVersions
    "cloudkms.cryptoKeyVersions.update", // UpdateCryptoKeyVersion: disable / enable
    "cloudkms.cryptoKeyVersions.destroy", // DestroyCryptoKeyVersion: scheduled, grace fixed at key creation
    "cloudkms.cryptoKeyVersions.restore", // RestoreCryptoKeyVersion: cancel a scheduled destroy within the grace
];

/** The roles each service's account gets on its own key ring, and nothing else anywhere. */
export function keyRingRoles(custodianRoleName: string): string[] {
    return [ENCRYPTER_DECRYPTER_ROLE, custodianRoleName];
}

/** `projects/P/roles/strongroomKmsKeyCustodian`. */
export function custodianRoleName(project: string): string {
    return `projects/${project}/roles/${CUSTODIAN_ROLE_ID}`;
}

/** `serviceAccount:P.svc.id.goog[NS/KSA]`. */
export function workloadIdentityMember(project: string, namespace: string, kubernetesServiceAccount: string): string {
    return `serviceAccount:${project}.svc.id.goog[${namespace}/${kubernetesServiceAccount}]`;
}
