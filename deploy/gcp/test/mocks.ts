import * as pulumi from "@pulumi/pulumi";
import type { DeclaredResource } from "../src/checks";

/**
 * Pulumi's mocks: no CLI, no engine, no network. Every resource the program registers is captured
 * with its resolved inputs; the mock provider returns ids and outputs shaped like Google's.
 */
export function installMocks(project: string): DeclaredResource[] {
    const captured: DeclaredResource[] = [];
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                const inputs = args.inputs as Record<string, unknown>;
                let id = `${args.name}-id`;
                const state: Record<string, unknown> = { ...inputs };
                switch (args.type) {
                    case "gcp:kms/keyRing:KeyRing":
                        id = `projects/${String(inputs.project)}/locations/${String(inputs.location)}/keyRings/${String(inputs.name)}`;
                        break;
                    case "gcp:serviceaccount/account:Account": {
                        const email = `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`;
                        id = `projects/${String(inputs.project)}/serviceAccounts/${email}`;
                        Object.assign(state, { email, name: id, member: `serviceAccount:${email}` });
                        break;
                    }
                    case "gcp:projects/iAMCustomRole:IAMCustomRole":
                        id = `projects/${String(inputs.project)}/roles/${String(inputs.roleId)}`;
                        state.name = id;
                        break;
                }
                captured.push({ type: args.type, name: args.name, inputs, id, state });
                return { id, state };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                throw new Error(`unexpected provider function call ${args.token}`);
            },
        },
        "strongroom-kms",
        "test",
        false,
    );
    void project;
    return captured;
}

/** Resolves when every given resource has been registered with the (mock) engine. */
export function registered(resources: readonly pulumi.Resource[]): Promise<unknown[]> {
    return Promise.all(resources.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
}

/** The value of an Output (mocks resolve them all). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}
