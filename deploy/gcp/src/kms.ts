import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import {
    CUSTODIAN_PERMISSIONS,
    CUSTODIAN_ROLE_ID,
    ENCRYPTER_DECRYPTER_ROLE,
    KEY_HOLDING_SERVICES,
    KeyHoldingService,
    WORKLOAD_IDENTITY_USER_ROLE,
    keyRingName,
    serviceAccountId,
    workloadIdentityMember,
} from "./policy";

export interface StrongroomKmsArgs {
    /** GCP project id (stack config `gcp:project`). */
    project: string;
    /** Cloud KMS location of the key rings, e.g. `europe-west1` (stack config `location`). */
    location: string;
    /** Kubernetes namespace of the Strongroom workloads (Workload Identity). Default `strongroom`. */
    namespace?: string;
    /** Enable the Cloud KMS and IAM APIs in the project (never disabled on destroy). Default true. */
    enableApis?: boolean;
}

export interface ServiceKms {
    keyRing: gcp.kms.KeyRing;
    serviceAccount: gcp.serviceaccount.Account;
    keyRingMembers: gcp.kms.KeyRingIAMMember[];
    workloadIdentity: gcp.serviceaccount.IAMMember;
}

export interface StrongroomKms {
    custodianRole: gcp.projects.IAMCustomRole;
    services: Record<KeyHoldingService, ServiceKms>;
    apis: gcp.projects.Service[];
    /** Every resource the program declares (tests wait on all of them). */
    all: pulumi.Resource[];
}

/**
 * Cloud KMS for Strongroom (DESIGN §1, §8): a key ring per key-holding service, a GCP service account
 * per service, and non-authoritative IAM member bindings that let each account create, rotate,
 * disable, destroy (scheduled) and use CryptoKeys in its own ring only.
 *
 * Deliberately absent: CryptoKeys (keyservice and signer create one per application key at run time,
 * without a rotation schedule), SecretCiphertext (it keeps the plaintext in Pulumi state),
 * *IAMPolicy / *IAMBinding (authoritative: they would remove grants this program does not know),
 * project-level grants, and service account keys (Workload Identity instead).
 */
export function createStrongroomKms(args: StrongroomKmsArgs, opts?: pulumi.CustomResourceOptions): StrongroomKms {
    const { project, location } = args;
    const namespace = args.namespace ?? "strongroom";
    if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(project)) throw new Error(`invalid GCP project id "${project}"`);
    if (!/^[a-z0-9-]+$/.test(location)) throw new Error(`invalid Cloud KMS location "${location}"`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new Error(`invalid Kubernetes namespace "${namespace}"`);

    const all: pulumi.Resource[] = [];
    const track = <T extends pulumi.Resource>(r: T): T => {
        all.push(r);
        return r;
    };

    const apis: gcp.projects.Service[] = [];
    if (args.enableApis ?? true) {
        for (const [name, service] of [["cloudkms", "cloudkms.googleapis.com"], ["iam", "iam.googleapis.com"]] as const) {
            apis.push(track(new gcp.projects.Service(`api-${name}`, {
                project,
                service,
                disableOnDestroy: false,
                disableDependentServices: false,
            }, opts)));
        }
    }
    const afterApis: pulumi.CustomResourceOptions = { ...opts, dependsOn: apis };

    const custodianRole = track(new gcp.projects.IAMCustomRole("kms-key-custodian", {
        project,
        roleId: CUSTODIAN_ROLE_ID,
        title: "Strongroom KMS key custodian",
        description: "Create, rotate, disable, schedule destroy of and restore CryptoKeys; granted on one Strongroom key ring only.",
        permissions: [...CUSTODIAN_PERMISSIONS],
        stage: "GA",
    }, afterApis));

    const services = {} as Record<KeyHoldingService, ServiceKms>;
    for (const service of KEY_HOLDING_SERVICES) {
        // Key rings cannot be deleted in Cloud KMS; protect keeps `pulumi destroy` from pretending.
        const keyRing = track(new gcp.kms.KeyRing(`keyring-${service}`, {
            project,
            location,
            name: keyRingName(service),
        }, { ...afterApis, protect: true }));

        const serviceAccount = track(new gcp.serviceaccount.Account(`sa-${service}`, {
            project,
            accountId: serviceAccountId(service),
            displayName: `Strongroom ${service}`,
            description: `Strongroom ${service}: KEKs in key ring ${keyRingName(service)} only.`,
        }, afterApis));

        const member = pulumi.interpolate`serviceAccount:${serviceAccount.email}`;
        const keyRingMembers = [
            track(new gcp.kms.KeyRingIAMMember(`keyring-${service}-encrypter-decrypter`, {
                keyRingId: keyRing.id,
                role: ENCRYPTER_DECRYPTER_ROLE,
                member,
            }, opts)),
            track(new gcp.kms.KeyRingIAMMember(`keyring-${service}-custodian`, {
                keyRingId: keyRing.id,
                role: custodianRole.name,
                member,
            }, opts)),
        ];

        const workloadIdentity = track(new gcp.serviceaccount.IAMMember(`sa-${service}-workload-identity`, {
            serviceAccountId: serviceAccount.name,
            role: WORKLOAD_IDENTITY_USER_ROLE,
            member: workloadIdentityMember(project, namespace, service),
        }, opts));

        services[service] = { keyRing, serviceAccount, keyRingMembers, workloadIdentity };
    }

    return { custodianRole, services, apis, all };
}
