import {
    CUSTODIAN_PERMISSIONS,
    CUSTODIAN_ROLE_ID,
    KEY_HOLDING_SERVICES,
    KeyHoldingService,
    WORKLOAD_IDENTITY_USER_ROLE,
    custodianRoleName,
    keyRingName,
    keyRingRoles,
    serviceAccountId,
    workloadIdentityMember,
} from "./policy";

/** One declared resource as Pulumi's mocks (or a hand-made list) see it. */
export interface DeclaredResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** The id the (mock) provider returned. */
    id?: string;
    /** Outputs the (mock) provider returned (e.g. a service account's email and name). */
    state?: Record<string, unknown>;
}

export interface Expectations {
    project: string;
    location: string;
    namespace: string;
}

export const T = {
    keyRing: "gcp:kms/keyRing:KeyRing",
    keyRingIamMember: "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
    account: "gcp:serviceaccount/account:Account",
    accountIamMember: "gcp:serviceaccount/iAMMember:IAMMember",
    customRole: "gcp:projects/iAMCustomRole:IAMCustomRole",
    apiService: "gcp:projects/service:Service",
    cryptoKey: "gcp:kms/cryptoKey:CryptoKey",
    secretCiphertext: "gcp:kms/secretCiphertext:SecretCiphertext",
} as const;

/** Every resource type the program may declare; anything else is a finding. */
const ALLOWED_TYPES = new Set<string>([T.keyRing, T.keyRingIamMember, T.account, T.accountIamMember, T.customRole, T.apiService]);

/** The only IAM grant types allowed: non-authoritative members on a key ring or a service account. */
const ALLOWED_GRANT_TYPES = new Set<string>([T.keyRingIamMember, T.accountIamMember]);

const str = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Is this type an IAM grant (policy, binding or member) rather than a role definition? */
export function isIamGrantType(type: string): boolean {
    const kind = type.split(":").pop() ?? "";
    return /IAM(Policy|Binding|Member|AuditConfig)$/i.test(kind) || /(^|\/)iam(policy|binding|member)/i.test(type.split(":")[1] ?? "");
}

/**
 * Returns every way `resources` departs from the intended shape (empty = all good). Checked: exactly
 * one key ring per key-holding service, named per service, in the configured location; exactly one
 * service account per service; no CryptoKey, SecretCiphertext, service-account key or unexpected type;
 * every IAM grant a *IAMMember on a key ring or service account; each key-ring grant names that
 * ring's own service account and only the expected roles; the custom role's permissions are exactly
 * the listed set; each account's Workload Identity binding maps exactly its own Kubernetes SA.
 */
export function checkResources(resources: readonly DeclaredResource[], want: Expectations): string[] {
    const problems: string[] = [];
    const ofType = (t: string) => resources.filter((r) => r.type === t);

    for (const r of resources) {
        if (isIamGrantType(r.type) && !ALLOWED_GRANT_TYPES.has(r.type)) {
            problems.push(`${r.name}: IAM grant type ${r.type} is not allowed (only KeyRingIAMMember and serviceaccount IAMMember; never *IAMPolicy / *IAMBinding or project-level grants)`);
        } else if (r.type === T.cryptoKey) {
            problems.push(`${r.name}: CryptoKey declared in Pulumi; keyservice and signer create their own per-key CryptoKeys`);
        } else if (r.type === T.secretCiphertext) {
            problems.push(`${r.name}: SecretCiphertext keeps its plaintext in Pulumi state`);
        } else if (!ALLOWED_TYPES.has(r.type)) {
            problems.push(`${r.name}: unexpected resource type ${r.type}`);
        }
    }

    // Key rings: exactly one per service.
    const rings = ofType(T.keyRing);
    const ringIdToService = new Map<string, KeyHoldingService>();
    for (const r of rings) {
        const service = KEY_HOLDING_SERVICES.find((s) => keyRingName(s) === r.inputs.name);
        if (!service) problems.push(`${r.name}: key ring "${str(r.inputs.name)}" belongs to no key-holding service`);
        if (r.inputs.location !== want.location) problems.push(`${r.name}: location ${str(r.inputs.location)}, want ${want.location}`);
        if (r.inputs.project !== want.project) problems.push(`${r.name}: project ${str(r.inputs.project)}, want ${want.project}`);
        if (service && r.id) ringIdToService.set(r.id, service);
    }
    for (const s of KEY_HOLDING_SERVICES) {
        const n = rings.filter((r) => r.inputs.name === keyRingName(s)).length;
        if (n !== 1) problems.push(`want exactly one key ring ${keyRingName(s)}, found ${n}`);
    }
    if (rings.length !== KEY_HOLDING_SERVICES.length) problems.push(`want exactly ${KEY_HOLDING_SERVICES.length} key rings, found ${rings.length}`);

    // Service accounts: exactly one per service.
    const accounts = ofType(T.account);
    const emailToService = new Map<string, KeyHoldingService>();
    const accountNameToService = new Map<string, KeyHoldingService>();
    for (const a of accounts) {
        const service = KEY_HOLDING_SERVICES.find((s) => serviceAccountId(s) === a.inputs.accountId);
        if (!service) {
            problems.push(`${a.name}: service account "${str(a.inputs.accountId)}" belongs to no key-holding service`);
            continue;
        }
        const email = a.state?.email;
        const name = a.state?.name;
        if (typeof email === "string") emailToService.set(email, service);
        if (typeof name === "string") accountNameToService.set(name, service);
    }
    for (const s of KEY_HOLDING_SERVICES) {
        const n = accounts.filter((a) => a.inputs.accountId === serviceAccountId(s)).length;
        if (n !== 1) problems.push(`want exactly one service account ${serviceAccountId(s)}, found ${n}`);
    }
    if (accounts.length !== KEY_HOLDING_SERVICES.length) problems.push(`want exactly ${KEY_HOLDING_SERVICES.length} service accounts, found ${accounts.length}`);

    // Custom role: exactly the listed permissions.
    const roles = ofType(T.customRole);
    if (roles.length !== 1) problems.push(`want exactly one custom role, found ${roles.length}`);
    for (const r of roles) {
        if (r.inputs.roleId !== CUSTODIAN_ROLE_ID) problems.push(`${r.name}: roleId ${str(r.inputs.roleId)}, want ${CUSTODIAN_ROLE_ID}`);
        const perms = Array.isArray(r.inputs.permissions) ? (r.inputs.permissions as unknown[]).map(str) : [];
        for (const p of perms) {
            if (p.includes("*")) problems.push(`${r.name}: wildcard permission ${p}`);
            if (/IamPolicy$/i.test(p)) problems.push(`${r.name}: IAM policy permission ${p}`);
        }
        const got = [...new Set(perms)].sort();
        const exp = [...CUSTODIAN_PERMISSIONS].sort();
        if (got.length !== perms.length) problems.push(`${r.name}: duplicate permissions`);
        if (JSON.stringify(got) !== JSON.stringify(exp)) {
            const extra = got.filter((p) => !exp.includes(p));
            const missing = exp.filter((p) => !got.includes(p));
            problems.push(`${r.name}: permissions differ from the listed set (extra: ${extra.join(", ") || "none"}; missing: ${missing.join(", ") || "none"})`);
        }
    }

    // Key ring grants: only that ring's own account, only the expected roles, each exactly once.
    const expectedRoles = keyRingRoles(custodianRoleName(want.project)).sort();
    const grantsByRing = new Map<KeyHoldingService, string[]>();
    for (const g of ofType(T.keyRingIamMember)) {
        const ringService = ringIdToService.get(str(g.inputs.keyRingId));
        if (!ringService) {
            problems.push(`${g.name}: key ring ${str(g.inputs.keyRingId)} is not one of Strongroom's key rings`);
            continue;
        }
        if (g.inputs.condition !== undefined) problems.push(`${g.name}: unexpected IAM condition`);
        const member = str(g.inputs.member);
        const memberService = member.startsWith("serviceAccount:") ? emailToService.get(member.slice("serviceAccount:".length)) : undefined;
        if (memberService !== ringService) {
            problems.push(`${g.name}: member ${member} on key ring ${keyRingName(ringService)} is not that ring's own service account`);
        }
        const role = str(g.inputs.role);
        if (!expectedRoles.includes(role)) problems.push(`${g.name}: role ${role} is not one of ${expectedRoles.join(", ")}`);
        grantsByRing.set(ringService, [...(grantsByRing.get(ringService) ?? []), role]);
    }
    for (const s of KEY_HOLDING_SERVICES) {
        const got = (grantsByRing.get(s) ?? []).sort();
        if (JSON.stringify(got) !== JSON.stringify(expectedRoles)) {
            problems.push(`key ring ${keyRingName(s)}: roles granted [${got.join(", ")}], want exactly [${expectedRoles.join(", ")}]`);
        }
    }

    // Workload Identity: each account impersonable by exactly its own Kubernetes SA.
    const wiByService = new Map<KeyHoldingService, string[]>();
    for (const b of ofType(T.accountIamMember)) {
        const service = accountNameToService.get(str(b.inputs.serviceAccountId));
        if (!service) {
            problems.push(`${b.name}: binding on unknown service account ${str(b.inputs.serviceAccountId)}`);
            continue;
        }
        if (b.inputs.role !== WORKLOAD_IDENTITY_USER_ROLE) problems.push(`${b.name}: role ${str(b.inputs.role)} on service account, want only ${WORKLOAD_IDENTITY_USER_ROLE}`);
        if (b.inputs.condition !== undefined) problems.push(`${b.name}: unexpected IAM condition`);
        wiByService.set(service, [...(wiByService.get(service) ?? []), str(b.inputs.member)]);
    }
    for (const s of KEY_HOLDING_SERVICES) {
        const got = wiByService.get(s) ?? [];
        const exp = workloadIdentityMember(want.project, want.namespace, s);
        if (got.length !== 1 || got[0] !== exp) {
            problems.push(`service account ${serviceAccountId(s)}: Workload Identity members [${got.join(", ")}], want exactly [${exp}]`);
        }
    }
    return problems;
}
