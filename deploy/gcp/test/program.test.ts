import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { installMocks, registered, valueOf } from "./mocks";
import { T, checkResources, isIamGrantType } from "../src/checks";
import { CUSTODIAN_PERMISSIONS, ENCRYPTER_DECRYPTER_ROLE, WORKLOAD_IDENTITY_USER_ROLE } from "../src/policy";
import { createStrongroomKms } from "../src/kms";

const want = { project: "strongroom-prod", location: "europe-west1", namespace: "strongroom" };
const captured = installMocks(want.project);

const kms = createStrongroomKms({ project: want.project, location: want.location });
const ofType = (t: string) => captured.filter((r) => r.type === t);

describe("Strongroom Cloud KMS program (Pulumi mocks)", () => {
    before(async () => {
        await registered(kms.all);
    });

    it("declares only known resource types and passes every structural check", () => {
        assert.equal(captured.length, kms.all.length, "every declared resource reached the mock engine");
        assert.deepEqual(checkResources(captured, want), []);
    });

    it("has exactly two key rings, strongroom-keyservice and strongroom-signer, in the configured location", () => {
        const rings = ofType(T.keyRing);
        assert.deepEqual(rings.map((r) => r.inputs.name).sort(), ["strongroom-keyservice", "strongroom-signer"]);
        for (const r of rings) {
            assert.equal(r.inputs.location, want.location);
            assert.equal(r.inputs.project, want.project);
        }
    });

    it("exports key ring ids in the form KmsClient:KeyRing expects", async () => {
        assert.equal(await valueOf(kms.services.keyservice.keyRing.id), "projects/strongroom-prod/locations/europe-west1/keyRings/strongroom-keyservice");
        assert.equal(await valueOf(kms.services.signer.keyRing.id), "projects/strongroom-prod/locations/europe-west1/keyRings/strongroom-signer");
    });

    it("has exactly one service account per key-holding service", () => {
        assert.deepEqual(ofType(T.account).map((a) => a.inputs.accountId).sort(), ["strongroom-keyservice", "strongroom-signer"]);
    });

    it("uses only non-authoritative *IAMMember grants", () => {
        const grants = captured.filter((r) => isIamGrantType(r.type));
        assert.ok(grants.length > 0);
        for (const g of grants) {
            assert.match(g.type, /:(KeyRingIAMMember|IAMMember)$/, `${g.name} is ${g.type}`);
            assert.doesNotMatch(g.type, /IAM(Policy|Binding)/);
            assert.notEqual(g.type, "gcp:projects/iAMMember:IAMMember", "no project-level grant");
        }
    });

    it("grants each key ring's roles to that ring's own service account only", () => {
        const members = ofType(T.keyRingIamMember);
        assert.equal(members.length, 4);
        for (const service of ["keyservice", "signer"] as const) {
            const ringId = `projects/${want.project}/locations/${want.location}/keyRings/strongroom-${service}`;
            const onRing = members.filter((m) => m.inputs.keyRingId === ringId);
            assert.deepEqual(onRing.map((m) => m.inputs.role).sort(), [ENCRYPTER_DECRYPTER_ROLE, `projects/${want.project}/roles/strongroomKmsKeyCustodian`].sort());
            for (const m of onRing) assert.equal(m.inputs.member, `serviceAccount:strongroom-${service}@${want.project}.iam.gserviceaccount.com`);
        }
    });

    it("defines the custodian role with exactly the listed permissions (no setIamPolicy, no wildcard)", () => {
        const [role, ...rest] = ofType(T.customRole);
        assert.ok(role);
        assert.equal(rest.length, 0);
        const perms = role.inputs.permissions as string[];
        assert.deepEqual([...perms].sort(), [
            "cloudkms.cryptoKeyVersions.create",
            "cloudkms.cryptoKeyVersions.destroy",
            "cloudkms.cryptoKeyVersions.get",
            "cloudkms.cryptoKeyVersions.list",
            "cloudkms.cryptoKeyVersions.restore",
            "cloudkms.cryptoKeyVersions.update",
            "cloudkms.cryptoKeys.create",
            "cloudkms.cryptoKeys.get",
            "cloudkms.cryptoKeys.update",
            "cloudkms.keyRings.get",
        ]);
        assert.deepEqual([...perms].sort(), [...CUSTODIAN_PERMISSIONS].sort());
        for (const p of perms) {
            assert.ok(!p.includes("*"), p);
            assert.ok(!/setIamPolicy|getIamPolicy|importJobs|keyRings\.create/i.test(p), p);
        }
    });

    it("declares no CryptoKey, no SecretCiphertext, no service account key", () => {
        for (const r of captured) {
            assert.notEqual(r.type, T.cryptoKey);
            assert.notEqual(r.type, T.secretCiphertext);
            assert.notEqual(r.type, "gcp:serviceaccount/key:Key");
            assert.ok(!("plaintext" in r.inputs), `${r.name} has a plaintext input`);
        }
    });

    it("maps each Kubernetes ServiceAccount to its own GCP service account (Workload Identity)", () => {
        const wi = ofType(T.accountIamMember);
        assert.equal(wi.length, 2);
        for (const service of ["keyservice", "signer"] as const) {
            const [b, ...more] = wi.filter((w) => w.inputs.serviceAccountId === `projects/${want.project}/serviceAccounts/strongroom-${service}@${want.project}.iam.gserviceaccount.com`);
            assert.ok(b);
            assert.equal(more.length, 0);
            assert.equal(b.inputs.role, WORKLOAD_IDENTITY_USER_ROLE);
            assert.equal(b.inputs.member, `serviceAccount:${want.project}.svc.id.goog[strongroom/${service}]`);
        }
    });

    it("never disables the Cloud KMS or IAM API on destroy", () => {
        const apis = ofType(T.apiService);
        assert.deepEqual(apis.map((a) => a.inputs.service).sort(), ["cloudkms.googleapis.com", "iam.googleapis.com"]);
        for (const a of apis) assert.equal(a.inputs.disableOnDestroy, false);
    });

    it("rejects a malformed project, location or namespace before declaring anything", () => {
        const before = captured.length;
        assert.throws(() => createStrongroomKms({ project: "Bad_Project", location: "europe-west1" }), /project/);
        assert.throws(() => createStrongroomKms({ project: "strongroom-prod", location: "europe west1" }), /location/);
        assert.throws(() => createStrongroomKms({ project: "strongroom-prod", location: "europe-west1", namespace: "Strong/room" }), /namespace/);
        assert.equal(captured.length, before);
    });
});
