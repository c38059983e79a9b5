// JOSE interop driver for Strongroom's tests: the `jose` npm package as a stock JOSE library.
//
//   node jose-interop.mjs verify     < {"jwks": {...}, "jws": compact, "detachedPayload": hex?}
//        -> {"payload": hex, "protectedHeader": {...}}
//   node jose-interop.mjs sign       < {"jwk": private OKP JWK, "header": {...}, "payload": hex}
//        -> {"jws": compact}
//   node jose-interop.mjs thumbprint < {"jwk": JWK}
//        -> {"thumbprint": base64url}
// Verification pins alg EdDSA. Any failure exits 1 with {"error": message}.
import * as jose from "jose";

const bytes = (text) => new Uint8Array(Buffer.from(text ?? "", "hex"));
const hex = (data) => Buffer.from(data).toString("hex");

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function verify(request) {
  const keys = jose.createLocalJWKSet(request.jwks);
  const options = { algorithms: ["EdDSA"] };
  if (request.detachedPayload !== undefined) {
    const [protectedHeader, payload, signature] = request.jws.split(".");
    if (payload !== "") {
      throw new Error("expected a detached payload");
    }
    const result = await jose.flattenedVerify(
      { protected: protectedHeader, payload: jose.base64url.encode(bytes(request.detachedPayload)), signature },
      keys,
      options,
    );
    return { payload: hex(result.payload), protectedHeader: result.protectedHeader };
  }
  const result = await jose.compactVerify(request.jws, keys, options);
  return { payload: hex(result.payload), protectedHeader: result.protectedHeader };
}

async function sign(request) {
  const key = await jose.importJWK(request.jwk, "EdDSA");
  const jws = await new jose.CompactSign(bytes(request.payload)).setProtectedHeader(request.header).sign(key);
  return { jws };
}

async function thumbprint(request) {
  return { thumbprint: await jose.calculateJwkThumbprint(request.jwk, "sha256") };
}

const commands = { verify, sign, thumbprint };

try {
  const command = commands[process.argv[2]];
  if (!command) {
    throw new Error("usage: node jose-interop.mjs verify|sign|thumbprint");
  }
  process.stdout.write(JSON.stringify(await command(await readStdin())) + "\n");
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }) + "\n");
  process.exitCode = 1;
}
