#!/usr/bin/env bash
# Checks the container files without a Docker engine (none runs on our machines):
#   1. docker-compose.yml parses and validates with a real compose parser (`docker-compose config`,
#      the distribution's docker-compose v1 package, which needs no engine), with and without the
#      "cli" profile;
#   2. for every image compose builds (one Dockerfile, a stage per image: build.target and
#      build.args), every COPY source of the stages that image builds, with its args substituted,
#      exists in the repository and is not excluded by .dockerignore (what the build context would lack);
#   3. each image's `dotnet restore` and `dotnet publish` commands run here as written with its args
#      substituted (Release, --no-restore), publishing into a temporary folder instead of /app, and
#      its ENTRYPOINT assembly is in the output;
#   4. deploy/compose/init.sh generates everything compose mounts (into a temporary folder).
# The trust-split rules over the same files are C# tests: tests/Strongroom.Deployment.Tests/Compose*.cs
# and Dockerfile*.cs (which also check each image's stages: non-root, health check, data folder).
# Exit status 0 only when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "    FAIL: $*"; failures=$((failures + 1)); }

echo "==> containers 1/4: docker-compose.yml through docker-compose config (no engine needed)"
# Steps 2 and 3 read the images from compose's own parse when there is one.
compose_parsed=docker-compose.yml
if ! command -v docker-compose >/dev/null; then
  fail "docker-compose is not installed (apt-get install docker-compose); .ci/run installs it"
else
  echo "    $(docker-compose version --short 2>/dev/null || docker-compose version | head -1)"
  if docker-compose -f docker-compose.yml config -q; then echo "    ok: default profile"; else fail "docker-compose config"; fi
  if docker-compose -f docker-compose.yml --profile cli config >"$tmp/compose.yml"; then
    echo "    ok: --profile cli"
    compose_parsed="$tmp/compose.yml"
  else
    fail "docker-compose --profile cli config"
  fi
  services=$(docker-compose -f docker-compose.yml --profile cli config --services | sort | tr '\n' ' ')
  echo "    services: $services"
  [ "$services" = "cli edge keyservice kms runner signer storage " ] || fail "unexpected service list: $services"
fi

# For each image compose builds, the stages `docker build --target` runs with its build args, as
# Docker resolves them: an ARG counts in the stage that declares it (a global one only in FROM),
# ENTRYPOINT is never substituted. Prints one line per image (name, Dockerfile, restore, publish,
# entry assembly) and checks the COPY sources (exit 1 when one is missing or ignored).
cat >"$tmp/images.py" <<'PY'
import fnmatch, glob, os, re, shlex, sys
import yaml

compose_file, root = sys.argv[1], os.getcwd()
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

def instructions(path):
    out, current = [], ""
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if line.startswith("#") or (not current and not line):
            continue
        current += (" " if current else "") + line.rstrip("\\").strip()
        if not line.endswith("\\"):
            keyword, _, rest = current.partition(" ")
            out.append((keyword.upper(), rest.strip()))
            current = ""
    return out

def substitute(text, values):
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), ""), text)

def split_arg(text):
    name, eq, value = text.partition("=")
    return name.strip(), (value.strip().strip('"') if eq else None)

def image(dockerfile, target, args):
    items = instructions(dockerfile)
    first = next(i for i, (k, _) in enumerate(items) if k == "FROM")
    globals_ = {}
    for k, rest in items[:first]:
        if k == "ARG":
            name, value = split_arg(rest)
            globals_[name] = args.get(name, substitute(value or "", globals_))
    stages = []
    for k, rest in items[first:]:
        if k == "FROM":
            words = [w for w in substitute(rest, globals_).split() if not w.startswith("--")]
            name = words[words.index(next(w for w in words if w.upper() == "AS")) + 1] if any(w.upper() == "AS" for w in words) else None
            stages.append({"name": name, "base": words[0], "body": []})
        else:
            stages[-1]["body"].append((k, rest))
    index = {s["name"].lower(): n for n, s in enumerate(stages) if s["name"]}
    chain, s = [], index[target.lower()]
    while s is not None and s not in chain:
        chain.insert(0, s)
        s = index.get(stages[s]["base"].lower())
    needed, pending = set(chain), list(chain)
    while pending:
        for k, rest in stages[pending.pop()]["body"]:
            for w in rest.split() if k == "COPY" else []:
                if w.startswith("--from="):
                    s = index.get(w[len("--from="):].lower())
                    while s is not None and s not in needed:
                        needed.add(s); pending.append(s); s = index.get(stages[s]["base"].lower())
    resolved = []
    for n in sorted(needed - set(chain)) + chain:
        scope = {}
        for k, rest in stages[n]["body"]:
            if k == "ARG":
                name, value = split_arg(rest)
                scope[name] = args[name] if name in args else (globals_.get(name, "") if value is None else substitute(value, scope))
            resolved.append((k, rest if k in ("ENTRYPOINT", "CMD", "HEALTHCHECK") else substitute(rest, scope)))
    return resolved

compose = yaml.safe_load(open(compose_file, encoding="utf-8"))
bad = 0
for name, service in sorted(compose["services"].items()):
    build = service.get("build")
    if not isinstance(build, dict):
        continue
    context = os.path.join(root, build.get("context", "."))
    dockerfile = os.path.relpath(os.path.join(context, build.get("dockerfile", "Dockerfile")), root)
    args = build.get("args") or {}
    if isinstance(args, list):
        args = dict(a.split("=", 1) if "=" in a else (a, "") for a in args)
    args = {k: "" if v is None else str(v) for k, v in args.items()}
    target = build.get("target")
    if not target:
        print(f"    FAIL: {name}: no build.target", file=sys.stderr); bad += 1; continue
    items = image(dockerfile, target, args)
    count, bad_before = 0, bad
    for k, rest in items:
        words = shlex.split(rest) if k == "COPY" else []
        if not words or any(w.startswith("--from") for w in words):
            continue
        for src in [w for w in words[:-1] if not w.startswith("--")]:
            count += 1
            matches = sorted(os.path.relpath(m, root) for m in glob.glob(src)) if "*" in src else ([src] if os.path.exists(src) else [])
            if not matches:
                print(f"    FAIL: {name} ({dockerfile} --target {target}): COPY source {src} does not exist", file=sys.stderr); bad += 1
            for m in matches:
                if ignored(m):
                    print(f"    FAIL: {name} ({dockerfile} --target {target}): COPY source {m} is excluded by .dockerignore ({ignored(m)})", file=sys.stderr); bad += 1
    runs = [rest for k, rest in items if k == "RUN"]
    restore = [r for r in runs if r.startswith("dotnet restore ")]
    publish = [r for r in runs if r.startswith("dotnet publish ")]
    entry = [rest for k, rest in items if k == "ENTRYPOINT"]
    m = re.fullmatch(r'\["dotnet", "/app/([^"]+)"\]', entry[-1]) if entry else None
    print(f"    {'ok' if bad == bad_before else '..'}: {name} ({dockerfile} --target {target} {' '.join(f'--build-arg {k}={v}' for k, v in sorted(args.items()))}): {count} COPY sources", file=sys.stderr)
    print("\t".join([name, dockerfile, restore[0] if len(restore) == 1 else "", publish[0] if len(publish) == 1 else "", m.group(1) if m else ""]))
sys.exit(1 if bad else 0)
PY

echo "==> containers 2/4: every image's COPY sources exist and are in the build context (.dockerignore)"
if ! python3 "$tmp/images.py" "$compose_parsed" >"$tmp/images.tsv"; then fail "COPY sources"; fi

echo "==> containers 3/4: each image's restore and publish commands with its args (Release, into $tmp)"
while IFS=$'\t' read -r name dockerfile restore publish entry; do
  if [ -z "$restore" ] || [ -z "$publish" ] || [[ "$publish" != *" -o /app" ]] || [ -z "$entry" ]; then
    fail "$name ($dockerfile): expected one 'RUN dotnet restore …', one 'RUN dotnet publish … -o /app' and ENTRYPOINT [\"dotnet\", \"/app/….dll\"]"
    continue
  fi
  out="$tmp/publish/$name"
  started=$(date +%s)
  # shellcheck disable=SC2086 # the Dockerfile's own words
  if $restore --nologo -v q >"$tmp/$name.restore.log" 2>&1 \
    && ${publish% -o /app} -o "$out" --nologo -v q -clp:ErrorsOnly >"$tmp/$name.publish.log" 2>&1; then
    if [ -f "$out/$entry" ]; then
      echo "    ok: $name: ${publish} -> $entry ($(( $(date +%s) - started ))s)"
    else
      fail "$name: the ENTRYPOINT's /app/$entry is not in the published output"
    fi
  else
    cat "$tmp/$name.restore.log" "$tmp/$name.publish.log" | tail -30
    fail "$name: $publish"
  fi
  rm -rf "$out"
done <"$tmp/images.tsv"
[ "$(wc -l <"$tmp/images.tsv")" -eq 7 ] || fail "expected 7 images, found $(wc -l <"$tmp/images.tsv")"

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
