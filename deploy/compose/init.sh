#!/usr/bin/env bash
# Generates everything docker-compose.yml mounts, before the first `docker-compose up`:
#   pki/                     the deployment CA (pki/ca/, mounted into no container), ca.crt and one
#                            folder per identity: kms, keyservice, signer, storage, runner, edge,
#                            client-demo, operator-admin (strongroom pki init)
#   secrets/kms-passphrase   random, 0600: the compose secret mounted into kms alone
#   secrets/operator-admin.ed25519
#                            operator/admin's Ed25519 seed (base64), 0600: the cli container's secret
#   config/storage.json      storage's pinned operator public key (Storage:OperatorKeys)
#   cli/                     the cli container's work folder (StudioML PEM, client key folders)
# Existing files are kept (the CA, the passphrase and the operator key are never regenerated).
#
# The containers run as uid 64198: run this as root (or with sudo) so every key file mounted into a
# container is handed to that uid (still 0600). --no-chown skips that (CI, which starts no container).
#
# usage: bash deploy/compose/init.sh [--out DIR] [--no-chown]     (DIR defaults to deploy/compose)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=deploy/compose
chown_keys=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --no-chown) chown_keys=0; shift ;;
    *) echo "usage: $0 [--out DIR] [--no-chown]" >&2; exit 2 ;;
  esac
done
uid=64198
services=(kms keyservice signer storage runner edge)

echo "==> deployment PKI in $out/pki (strongroom pki init)"
# The CLI from source (an installed 'strongroom' works too: STRONGROOM_CLI=strongroom).
if [ -n "${STRONGROOM_CLI:-}" ]; then
  read -r -a cli <<<"$STRONGROOM_CLI"
else
  cli=(dotnet run --project tools/Strongroom.Cli --)
fi
"${cli[@]}" pki init --dir "$out/pki" --deployment compose

umask 077
mkdir -p "$out/secrets" "$out/config" "$out/cli"
chmod 0700 "$out/secrets"

if [ ! -s "$out/secrets/kms-passphrase" ]; then
  echo "==> kms passphrase: $out/secrets/kms-passphrase (0600; a compose secret for kms alone)"
  head -c 32 /dev/urandom | base64 -w0 >"$out/secrets/kms-passphrase"
fi

if [ ! -s "$out/secrets/operator-admin.ed25519" ]; then
  echo "==> operator/admin signing key: $out/secrets/operator-admin.ed25519 (0600; for the cli container)"
  # An Ed25519 private key is any 32 random bytes (the seed); the CLI reads it as base64.
  head -c 32 /dev/urandom | base64 -w0 >"$out/secrets/operator-admin.ed25519"
fi

echo "==> storage's pinned operator key: $out/config/storage.json"
# Public key of the seed: PKCS#8-wrap it for openssl, export the SubjectPublicKeyInfo, keep the last 32 bytes.
seed_hex=$(base64 -d "$out/secrets/operator-admin.ed25519" | od -An -v -tx1 | tr -d ' \n')
if [ ${#seed_hex} -ne 64 ]; then
  echo "$out/secrets/operator-admin.ed25519 is not a base64 32-byte Ed25519 seed" >&2
  exit 1
fi
x=$(printf '%b' "$(printf '302e020100300506032b657004220420%s' "$seed_hex" | sed 's/../\\x&/g')" \
  | openssl pkey -inform DER -pubout -outform DER | tail -c 32 | base64 -w0 | tr '+/' '-_' | tr -d '=')
unset seed_hex
if [ ${#x} -ne 43 ]; then
  echo "could not derive the operator public key (needs openssl)" >&2
  exit 1
fi
umask 022
printf '{ "Storage": { "OperatorKeys": [ "{\\"kty\\":\\"OKP\\",\\"crv\\":\\"Ed25519\\",\\"x\\":\\"%s\\"}" ] } }\n' "$x" >"$out/config/storage.json"
chmod 0644 "$out/config/storage.json"
chmod 0755 "$out/config"

# Every container reads its own files as uid 64198; keys stay 0600.
owned=("$out/secrets/kms-passphrase" "$out/secrets/operator-admin.ed25519" "$out/pki/operator-admin" "$out/cli")
for s in "${services[@]}"; do owned+=("$out/pki/$s"); done
if [ "$chown_keys" = 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    chown -R "$uid:$uid" "${owned[@]}"
    echo "==> handed the mounted key files to uid $uid (the containers' user)"
  else
    echo "!! not root: the containers (uid $uid) cannot read 0600 files you own. Run:" >&2
    echo "   sudo chown -R $uid:$uid ${owned[*]}" >&2
    exit 1
  fi
fi

for s in "${services[@]}"; do
  [ -s "$out/pki/$s/tls.crt" ] && [ -s "$out/pki/$s/tls.key" ] || { echo "missing $out/pki/$s/tls.{crt,key}" >&2; exit 1; }
done
echo "==> ready: docker-compose up -d --build (certificates last 7 days: 'strongroom pki renew <service> --dir $out/pki', then re-run this script to hand the new keys to uid $uid)"
