import * as pulumi from "@pulumi/pulumi";
import { createStrongroomKms } from "./src/kms";

const gcpConfig = new pulumi.Config("gcp");
const config = new pulumi.Config();

const kms = createStrongroomKms({
    project: gcpConfig.require("project"),
    location: config.require("location"),
    namespace: config.get("namespace") ?? "strongroom",
    enableApis: config.getBoolean("enableApis") ?? true,
});

/** KmsClient:KeyRing for each service: projects/P/locations/L/keyRings/strongroom-<service>. */
export const keyRingIds = {
    keyservice: kms.services.keyservice.keyRing.id,
    signer: kms.services.signer.keyRing.id,
};
export const serviceAccountEmails = {
    keyservice: kms.services.keyservice.serviceAccount.email,
    signer: kms.services.signer.serviceAccount.email,
};
export const custodianRole = kms.custodianRole.name;
