// HPKE interop driver for Strongroom's tests: an independent RFC 9180 implementation
// (@hpke/core + @hpke/chacha20poly1305 from npm) for DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// ChaCha20-Poly1305, base mode.
//
//   node hpke-interop.mjs keygen            -> {"skR": hex, "pkR": hex}
//   node hpke-interop.mjs seal  < request   -> {"enc": hex, "cts": [hex...], "exports": [hex...]}
//   node hpke-interop.mjs open  < request   -> {"pts": [hex...], "exports": [hex...]}
//
// seal request: {"pkR": hex, "info": hex, "messages": [{"aad": hex, "pt": hex}], "exports": [{"context": hex, "L": n}]}
// open request: {"skR": hex, "enc": hex, "info": hex, "messages": [{"aad": hex, "ct": hex}], "exports": [...]}
// Messages use sequence numbers 0, 1, ... in order. Any failure exits 1 with {"error": message}.
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

const hex = (buffer) => Buffer.from(new Uint8Array(buffer)).toString("hex");
const bytes = (text) => new Uint8Array(Buffer.from(text ?? "", "hex"));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function exportAll(context, exports) {
  const values = [];
  for (const e of exports ?? []) {
    values.push(hex(await context.export(bytes(e.context), e.L)));
  }
  return values;
}

async function keygen() {
  const pair = await suite.kem.generateKeyPair();
  return {
    skR: hex(await suite.kem.serializePrivateKey(pair.privateKey)),
    pkR: hex(await suite.kem.serializePublicKey(pair.publicKey)),
  };
}

async function seal(request) {
  const recipientPublicKey = await suite.kem.deserializePublicKey(bytes(request.pkR));
  const sender = await suite.createSenderContext({ recipientPublicKey, info: bytes(request.info) });
  const cts = [];
  for (const m of request.messages ?? []) {
    cts.push(hex(await sender.seal(bytes(m.pt), bytes(m.aad))));
  }
  return { enc: hex(sender.enc), cts, exports: await exportAll(sender, request.exports) };
}

async function open(request) {
  const recipientKey = await suite.kem.deserializePrivateKey(bytes(request.skR));
  const recipient = await suite.createRecipientContext({
    recipientKey,
    enc: bytes(request.enc),
    info: bytes(request.info),
  });
  const pts = [];
  for (const m of request.messages ?? []) {
    pts.push(hex(await recipient.open(bytes(m.ct), bytes(m.aad))));
  }
  return { pts, exports: await exportAll(recipient, request.exports) };
}

const commands = { keygen, seal, open };

try {
  const command = commands[process.argv[2]];
  if (!command) {
    throw new Error("usage: node hpke-interop.mjs keygen|seal|open");
  }
  const result = await command(process.argv[2] === "keygen" ? undefined : await readStdin());
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }) + "\n");
  process.exitCode = 1;
}
