// The Strongroom protos keep the conventions docs/contracts.md states, and that document's method
// table stays complete: a new RPC without a documented caller and listener fails here, as does an
// admin method documented as public (DESIGN §2: admin methods only on the admin listener).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const protoRoot = path.join(repo, 'protos');

// Folder → the services its package declares: a public one and `<public>Admin`, except keyadmin,
// the one key-admin API keyservice and signer both serve, which is admin only.
const SERVICES = {
  keyservice: { services: ['KeyService', 'KeyServiceAdmin'], namespace: 'Strongroom.KeyService.V1' },
  signer: { services: ['Signer', 'SignerAdmin'], namespace: 'Strongroom.Signer.V1' },
  storage: { services: ['Storage', 'StorageAdmin'], namespace: 'Strongroom.Storage.V1' },
  runner: { services: ['Runner', 'RunnerAdmin'], namespace: 'Strongroom.Runner.V1' },
  keyadmin: { services: ['KeyAdmin'], namespace: 'Strongroom.KeyAdmin.V1' },
};

function protoFiles(folder) {
  const dir = path.join(protoRoot, 'strongroom', folder, 'v1');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.proto'))
    .map((f) => path.posix.join('strongroom', folder, 'v1', f));
}

function load(files) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoRoot, target));
  root.loadSync(files, { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  return root;
}

const root = load(Object.keys(SERVICES).flatMap(protoFiles));

const upperSnake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function* declared(ns, kind) {
  for (const child of ns.nestedArray) {
    if (child instanceof kind) yield child;
    if (child instanceof protobuf.Namespace) yield* declared(child, kind);
  }
}

// Enum values carry their enum's name as prefix (C# strips it; no clashes in the package scope),
// and 0 is the UNSPECIFIED value.
export function enumProblems(enumType) {
  const prefix = `${upperSnake(enumType.name)}_`;
  const problems = [];
  for (const [name, number] of Object.entries(enumType.values)) {
    if (!name.startsWith(prefix)) problems.push(`${enumType.fullName}.${name} lacks prefix ${prefix}`);
    if (number === 0 && name !== `${prefix}UNSPECIFIED`) {
      problems.push(`${enumType.fullName}.${name} is 0 but not ${prefix}UNSPECIFIED`);
    }
  }
  if (!Object.values(enumType.values).includes(0)) problems.push(`${enumType.fullName} has no 0 value`);
  return problems;
}

// Every rpc has its own VerbNounRequest/Response pair in its own package, and a comment that
// starts by naming who may call it.
export function methodProblems(service) {
  const problems = [];
  const pkg = service.parent.fullName;
  for (const method of service.methodsArray) {
    const where = `${service.fullName}/${method.name}`;
    if (method.resolvedRequestType.fullName !== `${pkg}.${method.name}Request`) {
      problems.push(`${where}: request is ${method.resolvedRequestType.fullName}`);
    }
    if (method.resolvedResponseType.fullName !== `${pkg}.${method.name}Response`) {
      problems.push(`${where}: response is ${method.resolvedResponseType.fullName}`);
    }
    if (!/^Callers: \S/.test(method.comment ?? '')) problems.push(`${where}: no "Callers:" comment`);
  }
  return problems;
}

for (const [folder, { services, namespace }] of Object.entries(SERVICES)) {
  const pkg = `strongroom.${folder}.v1`;

  test(`${pkg} has exactly the services ${services.join(', ')}`, () => {
    const names = [...declared(root.lookup(pkg), protobuf.Service)].map((s) => s.name).sort();
    assert.deepEqual(names, [...services].sort());
  });

  test(`every ${pkg} file declares package ${pkg} and C# namespace ${namespace}`, () => {
    for (const file of protoFiles(folder)) {
      const text = fs.readFileSync(path.join(protoRoot, file), 'utf8');
      assert.match(text, new RegExp(`^package ${pkg.replaceAll('.', '\\.')};$`, 'm'), file);
      assert.match(text, new RegExp(`^option csharp_namespace = "${namespace}";$`, 'm'), file);
    }
  });

  test(`${pkg} rpcs use their own request/response pair and name their callers`, () => {
    const problems = [...declared(root.lookup(pkg), protobuf.Service)].flatMap(methodProblems);
    assert.deepEqual(problems, []);
  });

  test(`${pkg} enum values are prefixed and start at UNSPECIFIED`, () => {
    const problems = [...declared(root.lookup(pkg), protobuf.Enum)].flatMap(enumProblems);
    assert.deepEqual(problems, []);
  });
}

test('docs/contracts.md lists every Strongroom method with its listener, and nothing else', () => {
  const doc = fs.readFileSync(path.join(repo, 'docs/contracts.md'), 'utf8');
  const rows = new Map();
  for (const [, method, listener] of doc.matchAll(/^\| `(strongroom\.[\w.]+\/\w+)` \|[^|]*\| ([^|]+) \|$/gm)) {
    rows.set(method, listener.trim());
  }
  const expected = new Map();
  for (const folder of Object.keys(SERVICES)) {
    for (const service of declared(root.lookup(`strongroom.${folder}.v1`), protobuf.Service)) {
      for (const method of service.methodsArray) {
        const admin = service.name.endsWith('Admin');
        expected.set(`${service.fullName.slice(1)}/${method.name}`, admin ? 'admin' : 'public');
      }
    }
  }
  for (const [method, listener] of rows) {
    if (method.startsWith('strongroom.audit.')) continue;
    assert.ok(expected.has(method), `documented but not declared: ${method}`);
    assert.equal(listener.split(',')[0], expected.get(method), method);
  }
  for (const method of expected.keys()) assert.ok(rows.has(method), `not documented: ${method}`);
});

test('the signed envelope header keeps its field numbers', () => {
  // Header bytes are signed and used as HPKE AAD: renumbering would break every envelope in flight.
  const fields = (name) => Object.fromEntries(
    root.lookupType(name).fieldsArray.map((f) => [f.name, `${f.id} ${f.type}`]),
  );
  assert.deepEqual(fields('strongroom.runner.v1.Header'), {
    version: '1 uint32',
    recipient_kid: '2 string',
    signing_kid: '3 string',
    client_identity: '4 string',
    request_id: '5 bytes',
    job_name: '6 string',
    created_at: '7 int64',
    expires_at: '8 int64',
    result_kid: '9 string',
  });
  assert.deepEqual(fields('strongroom.runner.v1.Envelope'), {
    header: '1 bytes', enc: '2 bytes', ct: '3 bytes', signature: '4 bytes',
  });
});

test('UnwrapMessageKeyResponse names no key version and no success flag', () => {
  // DESIGN §3.1: no decryption oracle; the runner must not learn which version opened K.
  const fields = root.lookupType('strongroom.keyservice.v1.UnwrapMessageKeyResponse').fieldsArray
    .map((f) => f.name).sort();
  assert.deepEqual(fields, ['message_key', 'owner_identity']);
});

test('DecapsulateResponse returns only the AEAD key and base nonce', () => {
  const fields = root.lookupType('strongroom.keyservice.v1.DecapsulateResponse').fieldsArray
    .map((f) => f.name).sort();
  assert.deepEqual(fields, ['aead_key', 'base_nonce']);
});

test('SignRequest has no caller-settable typ, runner or iat', () => {
  const fields = root.lookupType('strongroom.signer.v1.SignRequest').fieldsArray.map((f) => f.name);
  for (const forbidden of ['typ', 'runner', 'iat', 'issued_at', 'protected_header_json']) {
    assert.ok(!fields.includes(forbidden), forbidden);
  }
});

test('the convention checkers catch violations', () => {
  const bad = protobuf.parse(`syntax = "proto3";
    package strongroom.bad.v1;
    service Bad {
      rpc Do(DoRequest) returns (Other);
    }
    message DoRequest {}
    message Other {}
    enum Colour { RED = 0; COLOUR_BLUE = 1; }`, { keepCase: true, alternateCommentMode: true }).root;
  bad.resolveAll();
  const methods = methodProblems(bad.lookupService('strongroom.bad.v1.Bad'));
  assert.ok(methods.some((p) => p.includes('response is')), methods.join('; '));
  assert.ok(methods.some((p) => p.includes('Callers:')), methods.join('; '));
  const enums = enumProblems(bad.lookupEnum('strongroom.bad.v1.Colour'));
  assert.ok(enums.some((p) => p.includes('RED lacks prefix COLOUR_')), enums.join('; '));
  assert.ok(enums.some((p) => p.includes('not COLOUR_UNSPECIFIED')), enums.join('; '));
});
