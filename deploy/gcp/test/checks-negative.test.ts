import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeclaredResource, T, checkResources } from "../src/checks";
import { CUSTODIAN_PERMISSIONS } from "../src/policy";

/**
 * Self-checks of the checker on hand-made resource lists: a faithful list passes, and each seeded
 * defect (the seed program's and others) is reported. Without these, a checker that always returns
 * [] would make the program tests pass vacuously.
 */
const want = { project: "p-strongroom", location: "europe-west1", namespace: "strongroom" };
const P = want.project;
const ring = (s: string) => `projects/${P}/locations/${want.location}/keyRings/strongroom-${s}`;
const email = (s: string) => `strongroom-${s}@${P}.iam.gserviceaccount.com`;
const saName = (s: string) => `projects/${P}/serviceAccounts/${email(s)}`;
const custodian = `projects/${P}/roles/strongroomKmsKeyCustodian`;

function good(): DeclaredResource[] {
    const list: DeclaredResource[] = [
        { type: T.apiService, name: "api-cloudkms", inputs: { project: P, service: "cloudkms.googleapis.com", disableOnDestroy: false } },
        { type: T.customRole, name: "kms-key-custodian", inputs: { project: P, roleId: "strongroomKmsKeyCustodian", permissions: [...CUSTODIAN_PERMISSIONS] }, id: custodian, state: { name: custodian } },
    ];
    for (const s of ["keyservice", "signer"]) {
        list.push(
            { type: T.keyRing, name: `keyring-${s}`, inputs: { project: P, location: want.location, name: `strongroom-${s}` }, id: ring(s) },
            { type: T.account, name: `sa-${s}`, inputs: { project: P, accountId: `strongroom-${s}` }, id: saName(s), state: { email: email(s), name: saName(s) } },
            { type: T.keyRingIamMember, name: `keyring-${s}-ed`, inputs: { keyRingId: ring(s), role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: `serviceAccount:${email(s)}` } },
            { type: T.keyRingIamMember, name: `keyring-${s}-custodian`, inputs: { keyRingId: ring(s), role: custodian, member: `serviceAccount:${email(s)}` } },
            { type: T.accountIamMember, name: `sa-${s}-wi`, inputs: { serviceAccountId: saName(s), role: "roles/iam.workloadIdentityUser", member: `serviceAccount:${P}.svc.id.goog[strongroom/${s}]` } },
        );
    }
    return list;
}

function mutate(f: (list: DeclaredResource[]) => void): DeclaredResource[] {
    const list = good().map((r) => ({ ...r, inputs: { ...r.inputs } }));
    f(list);
    return list;
}
const find = (list: DeclaredResource[], name: string): DeclaredResource => {
    const r = list.find((x) => x.name === name);
    if (!r) throw new Error(`fixture has no ${name}`);
    return r;
};

describe("checker self-check (negative cases)", () => {
    it("passes the faithful hand-made list", () => {
        assert.deepEqual(checkResources(good(), want), []);
    });

    const cases: Array<[string, (l: DeclaredResource[]) => void, RegExp]> = [
        ["an authoritative KeyRingIAMBinding", (l) => l.push({ type: "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding", name: "binding", inputs: { keyRingId: ring("signer"), role: "roles/cloudkms.admin", members: [`serviceAccount:${email("signer")}`] } }), /KeyRingIAMBinding is not allowed/],
        ["an authoritative KeyRingIAMPolicy", (l) => l.push({ type: "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy", name: "policy", inputs: { keyRingId: ring("signer"), policyData: "{}" } }), /KeyRingIAMPolicy is not allowed/],
        ["the seed's CryptoKeyIAMPolicy", (l) => l.push({ type: "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy", name: "ai-crypto-key-iam-policy", inputs: { policyData: "{}" } }), /CryptoKeyIAMPolicy is not allowed/],
        ["a project-level IAMMember", (l) => l.push({ type: "gcp:projects/iAMMember:IAMMember", name: "proj", inputs: { project: P, role: "roles/cloudkms.admin", member: `serviceAccount:${email("signer")}` } }), /projects\/iAMMember:IAMMember is not allowed/],
        ["a service account IAMBinding", (l) => l.push({ type: "gcp:serviceaccount/iAMBinding:IAMBinding", name: "sab", inputs: {} }), /iAMBinding:IAMBinding is not allowed/],
        ["a CryptoKey owned by Pulumi", (l) => l.push({ type: T.cryptoKey, name: "ai-crypto-key", inputs: { keyRing: ring("signer") } }), /CryptoKey declared in Pulumi/],
        ["the seed's SecretCiphertext", (l) => l.push({ type: T.secretCiphertext, name: "ai-secret-ciphertext", inputs: { plaintext: "Hello, Pulumi!" } }), /SecretCiphertext keeps its plaintext/],
        ["a service account key", (l) => l.push({ type: "gcp:serviceaccount/key:Key", name: "sa-key", inputs: {} }), /unexpected resource type gcp:serviceaccount\/key:Key/],
        ["a third key ring", (l) => l.push({ type: T.keyRing, name: "keyring-runner", inputs: { project: P, location: want.location, name: "strongroom-runner" }, id: "x" }), /exactly 2 key rings|belongs to no key-holding service/],
        ["a missing signer key ring", (l) => l.splice(l.indexOf(find(l, "keyring-signer")), 1), /exactly one key ring strongroom-signer/],
        ["a key ring in the wrong location", (l) => { find(l, "keyring-signer").inputs.location = "global"; }, /location global/],
        ["a missing service account", (l) => l.splice(l.indexOf(find(l, "sa-keyservice")), 1), /exactly one service account strongroom-keyservice/],
        ["signer's account granted on keyservice's ring", (l) => { find(l, "keyring-keyservice-ed").inputs.member = `serviceAccount:${email("signer")}`; }, /not that ring's own service account/],
        ["a user member on a ring", (l) => { find(l, "keyring-signer-custodian").inputs.member = "user:someone@example.com"; }, /not that ring's own service account/],
        ["roles/cloudkms.admin on a ring", (l) => { find(l, "keyring-signer-custodian").inputs.role = "roles/cloudkms.admin"; }, /role roles\/cloudkms.admin is not one of/],
        ["a missing encrypter/decrypter grant", (l) => l.splice(l.indexOf(find(l, "keyring-signer-ed")), 1), /key ring strongroom-signer: roles granted/],
        ["a grant on a foreign key ring", (l) => { find(l, "keyring-signer-ed").inputs.keyRingId = "projects/other/locations/global/keyRings/x"; }, /not one of Strongroom's key rings/],
        ["cryptoKeys.setIamPolicy in the custom role", (l) => { (find(l, "kms-key-custodian").inputs.permissions as string[]).push("cloudkms.cryptoKeys.setIamPolicy"); }, /IAM policy permission cloudkms.cryptoKeys.setIamPolicy/],
        ["a wildcard permission", (l) => { find(l, "kms-key-custodian").inputs.permissions = ["cloudkms.*"]; }, /wildcard permission/],
        ["a missing permission", (l) => { find(l, "kms-key-custodian").inputs.permissions = CUSTODIAN_PERMISSIONS.filter((p) => p !== "cloudkms.cryptoKeyVersions.destroy"); }, /missing: cloudkms.cryptoKeyVersions.destroy/],
        ["an extra permission", (l) => { (find(l, "kms-key-custodian").inputs.permissions as string[]).push("cloudkms.keyRings.create"); }, /extra: cloudkms.keyRings.create/],
        ["Workload Identity cross-mapped", (l) => { find(l, "sa-keyservice-wi").inputs.member = `serviceAccount:${P}.svc.id.goog[strongroom/signer]`; }, /strongroom-keyservice: Workload Identity members/],
        ["Workload Identity in another namespace", (l) => { find(l, "sa-signer-wi").inputs.member = `serviceAccount:${P}.svc.id.goog[default/signer]`; }, /strongroom-signer: Workload Identity members/],
        ["a second Workload Identity member", (l) => l.push({ type: T.accountIamMember, name: "extra-wi", inputs: { serviceAccountId: saName("signer"), role: "roles/iam.workloadIdentityUser", member: `serviceAccount:${P}.svc.id.goog[strongroom/runner]` } }), /strongroom-signer: Workload Identity members/],
        ["token creator on a service account", (l) => { find(l, "sa-signer-wi").inputs.role = "roles/iam.serviceAccountTokenCreator"; }, /want only roles\/iam.workloadIdentityUser/],
    ];
    for (const [what, f, expected] of cases) {
        it(`reports ${what}`, () => {
            const problems = checkResources(mutate(f), want);
            assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join("\n")}`);
        });
    }
});
