#!/usr/bin/env bash
# Checks the container files without a Docker engine (none runs on our machines):
#   1. docker-compose.yml parses and validates with a real compose parser (`docker-compose config`,
#      the distribution's docker-compose v1 package, which needs no engine), with and without the
#      "cli" profile;
#   2. every Dockerfile's COPY sources exist in the repository and are not excluded by .dockerignore
#      (what the build context would lack);
#   3. every Dockerfile's `dotnet restore` and `dotnet publish` commands run here exactly as written
#      (Release, --no-restore), publishing into a temporary folder instead of /app;
#   4. deploy/compose/init.sh generates everything compose mounts (into a temporary folder).
# The trust-split rules over the same files are C# tests: tests/Strongroom.Deployment.Tests/Compose*.cs
# and Dockerfile*.cs. Exit status 0 only when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "    FAIL: $*"; failures=$((failures + 1)); }

dockerfiles=(services/kms/Dockerfile services/keyservice/Dockerfile services/signer/Dockerfile
  services/storage/Dockerfile services/runner/Dockerfile services/edge/Dockerfile tools/Strongroom.Cli/Dockerfile)

echo "==> containers 1/4: docker-compose.yml through docker-compose config (no engine needed)"
if ! command -v docker-compose >/dev/null; then
  fail "docker-compose is not installed (apt-get install docker-compose); .ci/run installs it"
else
  echo "    $(docker-compose version --short 2>/dev/null || docker-compose version | head -1)"
  if docker-compose -f docker-compose.yml config -q; then echo "    ok: default profile"; else fail "docker-compose config"; fi
  if docker-compose -f docker-compose.yml --profile cli config -q; then echo "    ok: --profile cli"; else fail "docker-compose --profile cli config"; fi
  services=$(docker-compose -f docker-compose.yml --profile cli config --services | sort | tr '\n' ' ')
  echo "    services: $services"
  [ "$services" = "cli edge keyservice kms runner signer storage " ] || fail "unexpected service list: $services"
fi

echo "==> containers 2/4: every COPY source exists and is in the build context (.dockerignore)"
if ! python3 - "${dockerfiles[@]}" <<'PY'
import fnmatch, os, shlex, sys
patterns = [l.strip() for l in open(".dockerignore", encoding="utf-8") if l.strip() and not l.startswith("#")]
def ignored(path):
    parts = path.rstrip("/").split("/")
    for p in patterns:
        p = p.rstrip("/")
        # A pattern excludes the path itself or any folder above it ("**/" matches any depth).
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatchcase(prefix, p) or (p.startswith("**/") and fnmatch.fnmatchcase(parts[i - 1], p[3:])):
                return p
    return None
bad = 0
for dockerfile in sys.argv[1:]:
    count = 0
    for line in open(dockerfile, encoding="utf-8"):
        words = shlex.split(line.strip()) if line.strip().upper().startswith("COPY ") else []
        if not words or any(w.startswith("--from") for w in words):
            continue
        for src in [w for w in words[1:-1] if not w.startswith("--")]:
            count += 1
            if not os.path.exists(src):
                print(f"    FAIL: {dockerfile}: COPY source {src} does not exist"); bad += 1
            elif ignored(src):
                print(f"    FAIL: {dockerfile}: COPY source {src} is excluded by .dockerignore ({ignored(src)})"); bad += 1
    print(f"    {'ok' if bad == 0 else '..'}: {dockerfile}: {count} COPY sources")
sys.exit(1 if bad else 0)
PY
then fail "COPY sources"; fi

echo "==> containers 3/4: each Dockerfile's restore and publish commands, as written (Release, into $tmp)"
for dockerfile in "${dockerfiles[@]}"; do
  name=$(basename "$(dirname "$dockerfile")")
  restore=$(sed -n 's/^RUN \(dotnet restore .*\)$/\1/p' "$dockerfile")
  publish=$(sed -n 's/^RUN \(dotnet publish .*\)$/\1/p' "$dockerfile")
  if [ -z "$restore" ] || [ -z "$publish" ] || [[ "$publish" != *" -o /app" ]]; then
    fail "$dockerfile: expected one 'RUN dotnet restore …' and one 'RUN dotnet publish … -o /app'"
    continue
  fi
  out="$tmp/publish/$name"
  started=$(date +%s)
  # shellcheck disable=SC2086 # the Dockerfile's own words
  if $restore --nologo -v q >"$tmp/$name.restore.log" 2>&1 \
    && ${publish% -o /app} -o "$out" --nologo -v q -clp:ErrorsOnly >"$tmp/$name.publish.log" 2>&1; then
    entry=$(sed -n 's/^ENTRYPOINT \["dotnet", "\/app\/\([^"]*\)"\]$/\1/p' "$dockerfile")
    if [ -n "$entry" ] && [ -f "$out/$entry" ]; then
      echo "    ok: $dockerfile: ${publish} -> $entry ($(( $(date +%s) - started ))s)"
    else
      fail "$dockerfile: the ENTRYPOINT's /app/$entry is not in the published output"
    fi
  else
    cat "$tmp/$name.restore.log" "$tmp/$name.publish.log" | tail -30
    fail "$dockerfile: $publish"
  fi
  rm -rf "$out"
done

echo "==> containers 4/4: deploy/compose/init.sh generates what docker-compose.yml mounts"
cli_dll="$root/tools/Strongroom.Cli/bin/Debug/net10.0/strongroom.dll"
if [ -f "$cli_dll" ]; then export STRONGROOM_CLI="dotnet $cli_dll"; fi
if bash deploy/compose/init.sh --out "$tmp/compose" --no-chown >"$tmp/init.log" 2>&1; then
  missing=0
  for f in pki/ca.crt pki/operator-admin/tls.crt pki/operator-admin/tls.key secrets/kms-passphrase secrets/operator-admin.ed25519 config/storage.json \
    pki/{kms,keyservice,signer,storage,runner,edge}/tls.{crt,key}; do
    [ -s "$tmp/compose/$f" ] || { fail "init.sh did not write $f"; missing=1; }
  done
  mode=$(stat -c %a "$tmp/compose/secrets/kms-passphrase")
  [ "$mode" = 600 ] || fail "the kms passphrase is mode $mode, not 0600"
  [ $missing = 0 ] && echo "    ok: PKI, kms passphrase (0$mode), operator key, storage's pinned operator key"
else
  cat "$tmp/init.log"
  fail "deploy/compose/init.sh"
fi

if [ "$failures" -ne 0 ]; then
  echo "==> containers: $failures check(s) failed"
  exit 1
fi
echo "==> containers: all checks passed"
