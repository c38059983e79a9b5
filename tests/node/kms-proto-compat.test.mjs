// Our Cloud KMS v1 subset (protos/google/cloud/kms/v1) must be wire-identical to Google's, so the
// same client talks to the local kms and to real Cloud KMS (DESIGN §5). Compared against the
// official protos that @google-cloud/kms ships (installed at test time, never committed):
// every message, field, enum value, oneof and rpc we declare must match Google's exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const ourProtos = path.resolve(here, '../../protos');
const officialProtos = path.join(here, 'node_modules/@google-cloud/kms/build/protos');
const gaxProtos = path.join(here, 'node_modules/google-gax/build/protos');
const PACKAGE = 'google.cloud.kms.v1';
const SERVICE = `${PACKAGE}.KeyManagementService`;

// The RPCs Strongroom's kms client and the local kms use (DESIGN §1, §4, §5). Listed here so the
// subset cannot silently shrink.
const REQUIRED_RPCS = [
  'ListKeyRings', 'ListCryptoKeys', 'ListCryptoKeyVersions',
  'GetKeyRing', 'GetCryptoKey', 'GetCryptoKeyVersion',
  'CreateKeyRing', 'CreateCryptoKey', 'CreateCryptoKeyVersion',
  'UpdateCryptoKey', 'UpdateCryptoKeyVersion', 'UpdateCryptoKeyPrimaryVersion',
  'DestroyCryptoKeyVersion', 'RestoreCryptoKeyVersion',
  'Encrypt', 'Decrypt',
];

// Fields our code reads or writes; each must stay in the subset.
const REQUIRED_FIELDS = {
  KeyRing: ['name', 'create_time'],
  CryptoKey: ['name', 'primary', 'purpose', 'create_time', 'next_rotation_time', 'rotation_period',
    'version_template', 'labels', 'import_only', 'destroy_scheduled_duration'],
  CryptoKeyVersionTemplate: ['protection_level', 'algorithm'],
  CryptoKeyVersion: ['name', 'state', 'protection_level', 'algorithm', 'create_time', 'destroy_time',
    'destroy_event_time'],
  ListKeyRingsRequest: ['parent', 'page_size', 'page_token'],
  ListCryptoKeysRequest: ['parent', 'page_size', 'page_token'],
  ListCryptoKeyVersionsRequest: ['parent', 'page_size', 'page_token'],
  ListKeyRingsResponse: ['key_rings', 'next_page_token', 'total_size'],
  ListCryptoKeysResponse: ['crypto_keys', 'next_page_token', 'total_size'],
  ListCryptoKeyVersionsResponse: ['crypto_key_versions', 'next_page_token', 'total_size'],
  GetKeyRingRequest: ['name'],
  GetCryptoKeyRequest: ['name'],
  GetCryptoKeyVersionRequest: ['name'],
  CreateKeyRingRequest: ['parent', 'key_ring_id', 'key_ring'],
  CreateCryptoKeyRequest: ['parent', 'crypto_key_id', 'crypto_key', 'skip_initial_version_creation'],
  CreateCryptoKeyVersionRequest: ['parent', 'crypto_key_version'],
  UpdateCryptoKeyRequest: ['crypto_key', 'update_mask'],
  UpdateCryptoKeyVersionRequest: ['crypto_key_version', 'update_mask'],
  UpdateCryptoKeyPrimaryVersionRequest: ['name', 'crypto_key_version_id'],
  DestroyCryptoKeyVersionRequest: ['name'],
  RestoreCryptoKeyVersionRequest: ['name'],
  EncryptRequest: ['name', 'plaintext', 'additional_authenticated_data', 'plaintext_crc32c',
    'additional_authenticated_data_crc32c'],
  EncryptResponse: ['name', 'ciphertext', 'ciphertext_crc32c', 'verified_plaintext_crc32c',
    'verified_additional_authenticated_data_crc32c', 'protection_level'],
  DecryptRequest: ['name', 'ciphertext', 'additional_authenticated_data', 'ciphertext_crc32c',
    'additional_authenticated_data_crc32c'],
  DecryptResponse: ['plaintext', 'plaintext_crc32c', 'used_primary', 'protection_level'],
};

const REQUIRED_ENUM_VALUES = {
  'CryptoKey.CryptoKeyPurpose': ['CRYPTO_KEY_PURPOSE_UNSPECIFIED', 'ENCRYPT_DECRYPT'],
  'CryptoKeyVersion.CryptoKeyVersionAlgorithm': ['CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED',
    'GOOGLE_SYMMETRIC_ENCRYPTION'],
  'CryptoKeyVersion.CryptoKeyVersionState': ['CRYPTO_KEY_VERSION_STATE_UNSPECIFIED', 'ENABLED',
    'DISABLED', 'DESTROY_SCHEDULED', 'DESTROYED'],
  ProtectionLevel: ['PROTECTION_LEVEL_UNSPECIFIED', 'SOFTWARE', 'HSM'],
};

// Loads a .proto with imports resolved from the given roots, in order; google/protobuf/* come
// bundled with protobufjs.
function load(entry, roots) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of roots) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`import not found in ${roots.join(', ')}: ${target}`);
  };
  root.loadSync(entry, { keepCase: true });
  root.resolveAll();
  return root;
}

function loadOfficial() {
  if (!fs.existsSync(officialProtos)) {
    throw new Error(`official protos missing at ${officialProtos}: run npm ci --prefix tests/node`);
  }
  return load('google/cloud/kms/v1/service.proto', [officialProtos, gaxProtos]);
}

function loadOurs() {
  // Only our folder may supply google/cloud/kms; the bundled well-known types cover the rest.
  return load('google/cloud/kms/v1/service.proto', [ourProtos]);
}

const typeName = (field) => (field.resolvedType ? field.resolvedType.fullName : field.type);

function label(field) {
  if (field.map) return `map<${field.keyType}>`;
  if (field.repeated) return 'repeated';
  if (field.options && field.options.proto3_optional) return 'optional';
  return 'singular';
}

const oneofName = (field) => (field.partOf ? field.partOf.name : null);

// Every reflection object declared under a namespace (messages, enums, services), depth first.
function* walk(ns) {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type || child instanceof protobuf.Enum
      || child instanceof protobuf.Service) {
      yield child;
    }
    if (child instanceof protobuf.Namespace) yield* walk(child);
  }
}

function describeField(field) {
  return {
    id: field.id,
    type: typeName(field),
    label: label(field),
    oneof: oneofName(field),
  };
}

// Returns one line per difference between our subset (root `ours`) and Google's (`official`),
// for everything declared in our package. Empty means wire-compatible.
export function compareSubset(ours, official) {
  const problems = [];
  const ourPackage = ours.lookup(PACKAGE);
  if (!ourPackage) return [`our protos declare no package ${PACKAGE}`];

  for (const item of walk(ourPackage)) {
    const name = item.fullName;
    const theirs = official.lookup(name);
    if (!theirs || theirs.constructor !== item.constructor) {
      problems.push(`${name}: no ${item.constructor.name} of that name in the official protos`);
      continue;
    }

    if (item instanceof protobuf.Type) {
      for (const field of item.fieldsArray) {
        const other = theirs.fields[field.name];
        if (!other) {
          problems.push(`${name}.${field.name}: no such field in the official message`);
          continue;
        }
        const a = describeField(field);
        const b = describeField(other);
        for (const key of Object.keys(a)) {
          if (a[key] !== b[key]) {
            problems.push(`${name}.${field.name}: ${key} is ${a[key]}, official ${b[key]}`);
          }
        }
      }
      for (const oneof of item.oneofsArray) {
        const other = theirs.oneofs && theirs.oneofs[oneof.name];
        if (!other) problems.push(`${name}: oneof ${oneof.name} is not official`);
      }
    } else if (item instanceof protobuf.Enum) {
      for (const [valueName, number] of Object.entries(item.values)) {
        if (!(valueName in theirs.values)) {
          problems.push(`${name}.${valueName}: no such official enum value`);
        } else if (theirs.values[valueName] !== number) {
          problems.push(`${name}.${valueName}: is ${number}, official ${theirs.values[valueName]}`);
        }
      }
    } else if (item instanceof protobuf.Service) {
      for (const method of item.methodsArray) {
        const other = theirs.methods[method.name];
        if (!other) {
          problems.push(`${name}.${method.name}: no such official rpc`);
          continue;
        }
        const pairs = [
          ['request', method.resolvedRequestType.fullName, other.resolvedRequestType.fullName],
          ['response', method.resolvedResponseType.fullName, other.resolvedResponseType.fullName],
          ['request streaming', !!method.requestStream, !!other.requestStream],
          ['response streaming', !!method.responseStream, !!other.responseStream],
        ];
        for (const [what, a, b] of pairs) {
          if (a !== b) problems.push(`${name}.${method.name}: ${what} is ${a}, official ${b}`);
        }
      }
    }
  }
  return problems;
}

const official = loadOfficial();
const ours = loadOurs();

// A copy of our root rebuilt from JSON, so a test can corrupt it without touching the real one.
function mutatedCopy(mutate) {
  const json = ours.toJSON();
  mutate(json.nested.google.nested.cloud.nested.kms.nested.v1.nested);
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  return root;
}

test('every message, enum and rpc of our Cloud KMS subset matches the official protos', () => {
  assert.deepEqual(compareSubset(ours, official), []);
});

test('the subset declares the KeyManagementService rpcs Strongroom needs', () => {
  const service = ours.lookupService(SERVICE);
  const missing = REQUIRED_RPCS.filter((rpc) => !service.methods[rpc]);
  assert.deepEqual(missing, []);
});

test('the subset keeps every field Strongroom uses, CRC32C fields included', () => {
  const missing = [];
  for (const [message, fields] of Object.entries(REQUIRED_FIELDS)) {
    const type = ours.lookupType(`${PACKAGE}.${message}`);
    for (const field of fields) {
      if (!type.fields[field]) missing.push(`${message}.${field}`);
    }
  }
  for (const [enumName, values] of Object.entries(REQUIRED_ENUM_VALUES)) {
    const type = ours.lookupEnum(`${PACKAGE}.${enumName}`);
    for (const value of values) {
      if (!(value in type.values)) missing.push(`${enumName}.${value}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the rotation period stays in the rotation_schedule oneof', () => {
  const cryptoKey = ours.lookupType(`${PACKAGE}.CryptoKey`);
  assert.equal(oneofName(cryptoKey.fields.rotation_period), 'rotation_schedule');
});

test('our subset carries no google.api annotations or imports', () => {
  for (const file of ['resources.proto', 'service.proto']) {
    const text = fs.readFileSync(path.join(ourProtos, 'google/cloud/kms/v1', file), 'utf8');
    const code = text.split('\n').filter((line) => !line.trim().startsWith('//')).join('\n');
    assert.doesNotMatch(code, /google\.api|google\/api\//, file);
    assert.match(code, /option csharp_namespace = "Google\.Cloud\.Kms\.V1";/, file);
  }
});

test('the comparator catches a renumbered field', () => {
  const bad = mutatedCopy((v1) => { v1.EncryptRequest.fields.plaintext_crc32c.id = 9; });
  assert.deepEqual(compareSubset(bad, official),
    [`.${PACKAGE}.EncryptRequest.plaintext_crc32c: id is 9, official 7`]);
});

test('the comparator catches a wrong type, label, oneof, enum value and streaming flag', () => {
  const bad = mutatedCopy((v1) => {
    v1.DecryptResponse.fields.plaintext_crc32c.type = 'google.protobuf.UInt64Value';
    v1.ListKeyRingsResponse.fields.key_rings.rule = undefined;
    delete v1.CryptoKey.oneofs;
    v1.ProtectionLevel.values.HSM = 3;
    v1.KeyManagementService.methods.Decrypt.responseStream = true;
    v1.KeyRing.fields.invented = { type: 'string', id: 99 };
  });
  const problems = compareSubset(bad, official);
  const expected = [
    'DecryptResponse.plaintext_crc32c: type',
    'ListKeyRingsResponse.key_rings: label',
    'CryptoKey.rotation_period: oneof',
    'ProtectionLevel.HSM: is 3',
    'KeyManagementService.Decrypt: response streaming',
    'KeyRing.invented: no such field',
  ];
  for (const fragment of expected) {
    assert.ok(problems.some((p) => p.includes(fragment)), `${fragment} not detected: ${problems}`);
  }
});
