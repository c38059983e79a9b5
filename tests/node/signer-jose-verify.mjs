// Verifies a signer JWS with the `jose` npm package, keys from the signer's JWKS only.
//
//   node signer-jose-verify.mjs < {"jwks": {...}, "jws": compact string | flattened object, "detachedPayload": hex?}
//        -> {"payload": hex, "protectedHeader": {...}}
// alg is pinned to EdDSA and typ is not interpreted (the caller checks it). Any failure exits 1
// with {"error": message}.
import * as jose from "jose";

const hex = (data) => Buffer.from(data).toString("hex");

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

try {
  const request = await readStdin();
  const keys = jose.createLocalJWKSet(request.jwks);
  const options = { algorithms: ["EdDSA"] };
  let jws = request.jws;
  if (typeof jws === "string") {
    const [protectedHeader, payload, signature] = jws.split(".");
    jws = { protected: protectedHeader, payload, signature };
  }
  if (request.detachedPayload !== undefined) {
    if (jws.payload !== undefined && jws.payload !== "") {
      throw new Error("expected a detached payload");
    }
    jws = { ...jws, payload: jose.base64url.encode(Buffer.from(request.detachedPayload, "hex")) };
  }
  const result = await jose.flattenedVerify(jws, keys, options);
  process.stdout.write(JSON.stringify({ payload: hex(result.payload), protectedHeader: result.protectedHeader }) + "\n");
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }) + "\n");
  process.exitCode = 1;
}
