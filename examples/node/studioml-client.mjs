#!/usr/bin/env node
// A Strongroom client in Node.js, written only from the protos and DESIGN §3.1/§3.4 (no Strongroom
// code): it builds a StudioML queue message, submits it through the edge with its mTLS identity,
// watches the job, fetches the signed result and verifies it with `jose` against the JWKS.
//
//   node studioml-client.mjs --edge 127.0.0.1:7443 --ca .dev/pki/ca.crt \
//     --cert .dev/pki/client-demo/tls.crt --key .dev/pki/client-demo/tls.key \
//     --signing-key ../../tests/testdata/fixtures/studioml/client_signing --request request.json
//
// stdout: one JSON summary line; progress and errors go to stderr. Exit 0 only when the result
// verified and names exactly the request sent; 1 on any failure, 2 on bad usage.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import * as jose from 'jose';
import nacl from 'tweetnacl';

const here = path.dirname(fileURLToPath(import.meta.url));
const EDGE_IDENTITY = 'spiffe://strongroom/edge';
const TERMINAL = new Set(['JOB_STATUS_SUCCEEDED', 'JOB_STATUS_FAILED', 'JOB_STATUS_REJECTED', 'JOB_STATUS_CANCELLED']);

class UsageError extends Error {}

function log(line) {
  process.stderr.write(`studioml-client: ${line}\n`);
}

// ---------------------------------------------------------------- configuration

const USAGE = `usage: node studioml-client.mjs [options]   (each option also from its env var)
  --edge HOST:PORT        STRONGROOM_EDGE         edge address (an https:// prefix is accepted)
  --ca FILE               STRONGROOM_CA           trust bundle (.dev/pki/ca.crt)
  --cert FILE             STRONGROOM_CERT         client certificate (.dev/pki/client-demo/tls.crt)
  --key FILE              STRONGROOM_KEY          client private key (.dev/pki/client-demo/tls.key)
  --signing-key FILE      STUDIOML_SIGNING_KEY    OpenSSH Ed25519 private key (unencrypted openssh-key-v1)
  --signing-seed SEED     STUDIOML_SIGNING_SEED   or the raw 32-byte Ed25519 seed (hex or base64)
  --request FILE          STUDIOML_REQUEST        the clear StudioML request JSON
  --key-name NAME         STRONGROOM_KEY_NAME     keyservice RSA key to seal to (default "studioml")
  --message-out FILE      STUDIOML_MESSAGE_OUT    write the exact queue-message bytes sent
  --out FILE              STUDIOML_SUMMARY_OUT    also write the JSON summary here
  --timeout SECONDS       STUDIOML_TIMEOUT        overall limit for the job (default 180)
  --protos DIR            STRONGROOM_PROTOS       proto root (default ../../protos)`;

function config(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      edge: { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'signing-key': { type: 'string' },
      'signing-seed': { type: 'string' },
      request: { type: 'string' },
      'key-name': { type: 'string' },
      'message-out': { type: 'string' },
      out: { type: 'string' },
      timeout: { type: 'string' },
      protos: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const env = process.env;
  const pick = (name, envName, fallback) => values[name] ?? (env[envName] || undefined) ?? fallback;
  const c = {
    edge: pick('edge', 'STRONGROOM_EDGE'),
    ca: pick('ca', 'STRONGROOM_CA'),
    cert: pick('cert', 'STRONGROOM_CERT'),
    key: pick('key', 'STRONGROOM_KEY'),
    signingKey: pick('signing-key', 'STUDIOML_SIGNING_KEY'),
    signingSeed: pick('signing-seed', 'STUDIOML_SIGNING_SEED'),
    request: pick('request', 'STUDIOML_REQUEST'),
    keyName: pick('key-name', 'STRONGROOM_KEY_NAME', 'studioml'),
    messageOut: pick('message-out', 'STUDIOML_MESSAGE_OUT'),
    out: pick('out', 'STUDIOML_SUMMARY_OUT'),
    timeout: Number(pick('timeout', 'STUDIOML_TIMEOUT', '180')),
    protos: pick('protos', 'STRONGROOM_PROTOS', path.resolve(here, '..', '..', 'protos')),
  };
  for (const [name, value] of [['--edge', c.edge], ['--ca', c.ca], ['--cert', c.cert], ['--key', c.key], ['--request', c.request]]) {
    if (!value) throw new UsageError(`${name} is required`);
  }
  if (!c.signingKey === !c.signingSeed) throw new UsageError('give exactly one of --signing-key and --signing-seed');
  if (!(c.timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  c.edge = c.edge.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (!/^[^/\s]+:\d+$/.test(c.edge)) throw new UsageError(`--edge must be host:port, got '${c.edge}'`);
  return c;
}

// ---------------------------------------------------------------- Ed25519 / OpenSSH

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

class SshReader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  u32() {
    if (this.pos + 4 > this.buf.length) throw new Error('OpenSSH key: truncated');
    const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v;
  }
  bytes() {
    const n = this.u32();
    if (this.pos + n > this.buf.length) throw new Error('OpenSSH key: truncated');
    const v = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return v;
  }
  str() { return this.bytes().toString('latin1'); }
}

/** The 32-byte seed of an unencrypted openssh-key-v1 Ed25519 private key. */
function seedFromOpenSsh(text) {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) throw new Error('signing key: not an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)');
  const raw = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (raw.length < magic.length || !raw.subarray(0, magic.length).equals(magic)) throw new Error('signing key: bad openssh-key-v1 magic');
  const r = new SshReader(raw.subarray(magic.length));
  const cipher = r.str(), kdf = r.str();
  r.bytes(); // kdf options
  if (cipher !== 'none' || kdf !== 'none') throw new Error(`signing key: encrypted with ${cipher}/${kdf}; decrypt it first (ssh-keygen -p)`);
  if (r.u32() !== 1) throw new Error('signing key: expected exactly one key');
  const publicBlob = r.bytes();
  const priv = new SshReader(r.bytes());
  if (priv.u32() !== priv.u32()) throw new Error('signing key: check integers differ (corrupt or wrongly decrypted)');
  const type = priv.str();
  if (type !== 'ssh-ed25519') throw new Error(`signing key: ${type}, not ssh-ed25519`);
  const pub = priv.bytes(), secret = priv.bytes();
  if (pub.length !== 32 || secret.length !== 64) throw new Error('signing key: bad Ed25519 key lengths');
  if (!secret.subarray(32).equals(pub) || !publicBlob.equals(sshBlob(pub))) throw new Error('signing key: public halves disagree');
  return Buffer.from(secret.subarray(0, 32));
}

function parseSeed(text) {
  const t = text.trim();
  const seed = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (seed.length !== 32) throw new Error('signing seed: must be 32 bytes (64 hex digits or base64)');
  return seed;
}

function ed25519FromSeed(seed) {
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicRaw = Buffer.from(crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
  return { privateKey, publicRaw };
}

function sshString(b) {
  const len = Buffer.alloc(4); len.writeUInt32BE(b.length); return Buffer.concat([len, b]);
}

/** uint32 11 "ssh-ed25519" uint32 32 pubkey */
function sshBlob(pub) {
  return Buffer.concat([sshString(Buffer.from('ssh-ed25519', 'latin1')), sshString(pub)]);
}

/** What `ssh-keygen -l -E sha256` prints. */
function opensshFingerprint(pub) {
  return 'SHA256:' + crypto.createHash('sha256').update(sshBlob(pub)).digest('base64').replace(/=+$/, '');
}

// ---------------------------------------------------------------- the StudioML message (DESIGN §3.1)

function buildStudioMlMessage(rsaPublicPem, signing, requestBytes) {
  const request = JSON.parse(requestBytes.toString('utf8'));
  const rsa = crypto.createPublicKey(rsaPublicPem);
  if (rsa.asymmetricKeyType !== 'rsa' || rsa.asymmetricKeyDetails.modulusLength !== 4096) {
    throw new Error('keyservice key is not RSA-4096');
  }
  const k = crypto.randomBytes(32);
  try {
    // RSA-OAEP, SHA-256 and MGF1-SHA-256 (node's oaepHash sets both), empty label.
    const wrapped = crypto.publicEncrypt({ key: rsa, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, k);
    const nonce = crypto.randomBytes(24);
    // tweetnacl's secretbox is crypto_secretbox_easy: Poly1305 tag first, then the ciphertext.
    const box = nacl.secretbox(new Uint8Array(requestBytes), new Uint8Array(nonce), new Uint8Array(k));
    const payload = wrapped.toString('base64') + ',' + Buffer.concat([nonce, Buffer.from(box)]).toString('base64');
    const signature = crypto.sign(null, Buffer.from(payload, 'ascii'), signing.privateKey).toString('base64');

    const experiment = request.experiment ?? {};
    const lifetime = request.config?.experimentLifetime ?? '30m';
    // Laid out as StudioML writes it; time_added is Python's time.time(), always with a fraction.
    const timeAdded = (Date.now() / 1000).toFixed(3);
    const header = {};
    if (typeof experiment.key === 'string') header.key = experiment.key;
    header.status = 'waiting';
    header.pythonver = typeof experiment.pythonver === 'string' ? experiment.pythonver : '3.11';
    const json =
      '{"message":{' +
      `"experiment":${JSON.stringify(header)},` +
      `"time_added":${timeAdded},` +
      `"experiment_lifetime":${JSON.stringify(lifetime)},` +
      '"resources_needed":{"cpus":1,"gpus":0,"hdd":"3gb","ram":"2gb","gpuMem":"0gb"},' +
      `"payload":${JSON.stringify(payload)},` +
      `"fingerprint":${JSON.stringify(opensshFingerprint(signing.publicRaw))},` +
      `"signature":${JSON.stringify(signature)}` +
      '}}';
    return Buffer.from(json, 'utf8');
  } finally {
    k.fill(0);
  }
}

// ---------------------------------------------------------------- gRPC through the edge

function loadServices(protoRoot) {
  const definition = protoLoader.loadSync(
    ['strongroom/runner/v1/runner.proto', 'strongroom/storage/v1/storage.proto', 'strongroom/keyservice/v1/keyservice.proto'],
    { includeDirs: [protoRoot], keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true },
  );
  const pkg = grpc.loadPackageDefinition(definition);
  return {
    Runner: pkg.strongroom.runner.v1.Runner,
    Storage: pkg.strongroom.storage.v1.Storage,
    KeyService: pkg.strongroom.keyservice.v1.KeyService,
  };
}

function uriSans(subjectaltname) {
  return (subjectaltname ?? '').split(/,\s*/).filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
}

/**
 * mTLS credentials. The edge's certificate names the workload by its SPIFFE URI SAN, not by a host
 * name, so the hostname check is replaced by: the chain verifies against the CA (grpc-js still
 * rejects unauthorized chains) AND the certificate carries URI:spiffe://strongroom/edge.
 */
function edgeCredentials(c) {
  const ca = fs.readFileSync(c.ca);
  return grpc.credentials.createSsl(ca, fs.readFileSync(c.key), fs.readFileSync(c.cert), {
    checkServerIdentity: (_host, cert) => {
      if (!cert || !uriSans(cert.subjectaltname).includes(EDGE_IDENTITY)) {
        const err = new Error(`server certificate is not ${EDGE_IDENTITY} (subjectaltname: ${cert?.subjectaltname ?? 'none'})`);
        err.code = 'ERR_STRONGROOM_PEER_IDENTITY';
        return err;
      }
      return undefined;
    },
  });
}

function deadline(seconds) {
  return new Date(Date.now() + seconds * 1000);
}

function unary(client, method, request, seconds = 30) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: deadline(seconds) }, (err, response) => {
      if (err) {
        reject(new Error(`${method}: ${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
      } else {
        resolve(response);
      }
    });
  });
}

function watchUntilTerminal(runner, jobId, seconds) {
  return new Promise((resolve, reject) => {
    const call = runner.WatchJob({ job_id: jobId }, { deadline: deadline(seconds) });
    let last = null, lastStatus = null, done = false;
    call.on('data', (update) => {
      last = update.job;
      if (last.status !== lastStatus) {
        log(`job ${jobId}: ${last.status}${last.reason ? ` (${last.reason})` : ''}`);
        lastStatus = last.status;
      }
      if (TERMINAL.has(last.status)) {
        done = true;
        resolve(last);
        call.cancel();
      }
    });
    call.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new Error(`WatchJob: ${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
    });
    call.on('end', () => {
      if (done) return;
      done = true;
      if (last && TERMINAL.has(last.status)) resolve(last);
      else reject(new Error(`WatchJob ended before a terminal status (last: ${lastStatus ?? 'none'})`));
    });
  });
}

// ---------------------------------------------------------------- result verification (DESIGN §3.4)

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest();

async function verifyResult(stored, jwksJson, expect) {
  const jwks = jose.createLocalJWKSet(JSON.parse(jwksJson));
  // Pinned algorithm; jose refuses unknown `crit` members itself.
  const { payload, protectedHeader } = await jose.compactVerify(stored.signed_result, jwks, { algorithms: ['EdDSA'] });
  for (const forbidden of ['jwk', 'jku', 'x5u', 'x5c']) {
    if (forbidden in protectedHeader) throw new Error(`signed result: refused header '${forbidden}'`);
  }
  if (protectedHeader.typ !== 'strongroom-result') throw new Error(`signed result: typ is '${protectedHeader.typ}', not strongroom-result`);
  if (protectedHeader.b64 === false) throw new Error('signed result: b64:false is refused');
  if (typeof protectedHeader.runner !== 'string' || !protectedHeader.runner) throw new Error('signed result: no runner in the protected header');
  const doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  const checks = [
    ['job_id', doc.job_id, expect.jobId],
    ['request_sha256', doc.request_sha256, b64url(expect.requestDigest)],
    ['output_sha256', doc.output_sha256, b64url(sha256(stored.output))],
    ['owner', doc.owner, expect.owner],
    ['format', doc.format, 'studioml'],
  ];
  for (const [name, got, want] of checks) {
    if (got !== want) throw new Error(`signed result: ${name} is '${got}', expected '${want}'`);
  }
  if (doc.output_size !== stored.output.length) throw new Error(`signed result: output_size ${doc.output_size} != ${stored.output.length} bytes stored`);
  if (stored.job_id !== expect.jobId) throw new Error(`storage returned job ${stored.job_id}, asked for ${expect.jobId}`);
  return { doc, protectedHeader };
}

// ---------------------------------------------------------------- main

async function main() {
  const c = config(process.argv.slice(2));
  const requestBytes = fs.readFileSync(c.request);
  JSON.parse(requestBytes.toString('utf8')); // fail early on a malformed request file
  const seed = c.signingKey ? seedFromOpenSsh(fs.readFileSync(c.signingKey, 'utf8')) : parseSeed(c.signingSeed);
  const signing = ed25519FromSeed(seed);
  seed.fill(0);

  const clientCert = new crypto.X509Certificate(fs.readFileSync(c.cert));
  const owner = uriSans(clientCert.subjectAltName).find((u) => u.startsWith('spiffe://strongroom/'));
  if (!owner) throw new Error(`${c.cert}: no spiffe://strongroom/ URI SAN`);

  const services = loadServices(c.protos);
  const creds = edgeCredentials(c);
  const options = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
  const keyservice = new services.KeyService(c.edge, creds, options);
  const runner = new services.Runner(c.edge, creds, options);
  const storage = new services.Storage(c.edge, creds, options);
  try {
    log(`${owner} -> edge ${c.edge}; signing key ${opensshFingerprint(signing.publicRaw)}`);
    const { public_key: pk } = await unary(keyservice, 'GetPublicKey', { key_name: c.keyName, version: 0 });
    if (!pk || pk.kind !== 'KEY_KIND_RSA_4096') throw new Error(`keyservice key '${c.keyName}' is not an RSA-4096 key`);
    log(`sealing to ${c.keyName} v${pk.version} (${pk.openssh_fingerprint || pk.kid})`);

    const message = buildStudioMlMessage(pk.spki_pem || pk.pkcs1_pem, signing, requestBytes);
    const requestDigest = sha256(message);
    if (c.messageOut) fs.writeFileSync(c.messageOut, message);

    const submitted = await unary(runner, 'Submit', { studioml_message: message });
    const jobId = submitted.job_id;
    log(`submitted job ${jobId} (${submitted.status}); request sha256 ${b64url(requestDigest)}`);

    const job = await watchUntilTerminal(runner, jobId, c.timeout);
    if (job.request_digest?.length && !Buffer.from(job.request_digest).equals(requestDigest)) {
      throw new Error('the runner records a different request digest than the message sent');
    }
    if (job.status !== 'JOB_STATUS_SUCCEEDED') throw new Error(`job ${jobId} ended ${job.status}: ${job.reason}`);

    const { result: stored } = await unary(storage, 'GetResult', { job_id: jobId });
    const { jwks_json } = await unary(storage, 'GetJwks', { kinds: [] });
    const { doc, protectedHeader } = await verifyResult(stored, jwks_json, { jobId, requestDigest, owner });

    const summary = {
      job_id: jobId,
      status: doc.status,
      job_name: doc.job_name,
      exit_code: doc.exit_code,
      owner: doc.owner,
      request_sha256: doc.request_sha256,
      output_sha256: doc.output_sha256,
      sealed_to_kid: doc.sealed_to_kid,
      kid: protectedHeader.kid,
      runner: protectedHeader.runner,
      verified: true,
    };
    const line = JSON.stringify(summary);
    if (c.out) fs.writeFileSync(c.out, line + '\n');
    process.stdout.write(line + '\n');
    if (doc.status !== 'succeeded') throw new Error(`the signed result says ${doc.status} (exit code ${doc.exit_code})`);
  } finally {
    keyservice.close();
    runner.close();
    storage.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof UsageError || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      log(`${err.message}\n${USAGE}`);
      process.exit(2);
    }
    log(`FAILED: ${err?.message ?? err}`);
    process.exit(1);
  },
);
