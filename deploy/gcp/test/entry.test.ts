import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, valueOf } from "./mocks";
import { checkResources } from "../src/checks";

// The stack config `pulumi up` would pass: gcp:project and this project's location (no secrets).
process.env.PULUMI_CONFIG = JSON.stringify({ "gcp:project": "strongroom-stage", "strongroom-kms:location": "us-east1" });
const captured = installMocks("strongroom-stage");
const packageDir = path.resolve(__dirname, "..", "..");

describe("program entry (index.ts) and project files", () => {
    it("reads gcp:project and location from stack config and exports ring ids and account emails", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const entry = require("../index") as typeof import("../index");
        const ids = await valueOf(pulumi.output(entry.keyRingIds));
        assert.deepEqual(ids, {
            keyservice: "projects/strongroom-stage/locations/us-east1/keyRings/strongroom-keyservice",
            signer: "projects/strongroom-stage/locations/us-east1/keyRings/strongroom-signer",
        });
        assert.deepEqual(await valueOf(pulumi.output(entry.serviceAccountEmails)), {
            keyservice: "strongroom-keyservice@strongroom-stage.iam.gserviceaccount.com",
            signer: "strongroom-signer@strongroom-stage.iam.gserviceaccount.com",
        });
        assert.equal(await valueOf(entry.custodianRole), "projects/strongroom-stage/roles/strongroomKmsKeyCustodian");
        // index.ts exports outputs only; wait until all 13 resources reached the mock engine.
        for (let i = 0; i < 200 && captured.length < 13; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(captured.length, 13);
        assert.deepEqual(checkResources(captured, { project: "strongroom-stage", location: "us-east1", namespace: "strongroom" }), []);
    });

    it("Pulumi.yaml uses the nodejs runtime and no committed stack file holds a secret", () => {
        const project = fs.readFileSync(path.join(packageDir, "Pulumi.yaml"), "utf8");
        assert.match(project, /^runtime:\s*\n\s+name: nodejs$/m);
        assert.doesNotMatch(project, /secure:|secret: true/);
        for (const f of fs.readdirSync(packageDir).filter((n) => /^Pulumi\..+\.ya?ml$/.test(n))) {
            assert.doesNotMatch(fs.readFileSync(path.join(packageDir, f), "utf8"), /secure:/, `${f} holds a secret`);
        }
    });

    it("package.json pins @pulumi/pulumi 3.248.x (runs on Node 20) and exact versions", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as Record<string, Record<string, string>>;
        const deps = { ...pkg.dependencies, ...pkg.devDependencies };
        assert.match(deps["@pulumi/pulumi"] ?? "", /^3\.248\.\d+$/);
        for (const [name, version] of Object.entries(deps)) assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is not pinned exactly`);
    });
});
