#!/usr/bin/env bash
# Fuzzes one target with AFL++ for as long as asked: bash fuzz/run.sh TARGET [SECONDS] (default 600;
# 0 = until interrupted). Builds fuzz/Strongroom.Fuzz into fuzz/out/build, instruments the parser
# assemblies with SharpFuzz's `sharpfuzz` tool (fuzz/.config/dotnet-tools.json), then runs
#   afl-fuzz -i fuzz/corpus/TARGET -o fuzz/findings/TARGET -t 5000 -- dotnet .../Strongroom.Fuzz.dll TARGET
# Crashes land in fuzz/findings/TARGET/default/crashes/; each is replayed at the end with its stack.
# A crash becomes a regression: copy it to fuzz/regressions/TARGET/ (Strongroom.Fuzz.Tests replays it).
# Without afl-fuzz (apt-get install afl++) it falls back to the in-process deterministic mutator.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: bash fuzz/run.sh TARGET [SECONDS]   (targets: dotnet fuzz/out/build/Strongroom.Fuzz.dll --list)}
seconds=${2:-600}
out=out/build
[ -d "corpus/$target" ] || { echo "no corpus for target '$target' (fuzz/corpus/<target>)" >&2; exit 2; }

stamp="$out/.instrumented"
mkdir -p out
exec 9>out/.lock
flock 9   # two run.sh at once share one instrumented build
sources=$(find Strongroom.Fuzz ../libs/Strongroom.Crypto ../libs/Strongroom.Requests ../services/runner/Domain ../services/kms/Domain ../tools/Strongroom.Cli/Operator \
  -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -newer "$stamp" 2>/dev/null | head -1 || true)
if [ ! -f "$stamp" ] || [ -n "$sources" ]; then
  echo "==> dotnet build (Release) -> fuzz/$out"
  rm -rf "$out"
  dotnet build Strongroom.Fuzz/Strongroom.Fuzz.csproj -c Release -o "$out" --nologo -v q -clp:ErrorsOnly
  rm -rf out/plain && cp -r "$out" out/plain   # uninstrumented copy: replays crashes outside AFL++
  echo "==> sharpfuzz: instrumenting the parser assemblies"
  dotnet tool restore >/dev/null
  for dll in Strongroom.Crypto Strongroom.Requests Strongroom.Runner Strongroom.Kms strongroom Google.Protobuf BouncyCastle.Cryptography; do
    dotnet tool run sharpfuzz "$out/$dll.dll" >/dev/null
  done
  touch "$stamp"
fi
flock -u 9

if ! command -v afl-fuzz >/dev/null; then
  echo "afl-fuzz not found (apt-get install afl++): running the deterministic in-process mutator instead" >&2
  exec dotnet "$out/Strongroom.Fuzz.dll" --mutate "$target" "${seconds/#0/31536000}" "corpus/$target"
fi

mkdir -p "findings/$target"
resume=(-i "corpus/$target")
[ -f "findings/$target/default/fuzzer_stats" ] && resume=(-i -)   # continue an earlier session
budget=()
[ "$seconds" != 0 ] && budget=(-V "$seconds")
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
[ -t 1 ] || export AFL_NO_UI=1
echo "==> afl-fuzz $target for ${seconds}s"
afl-fuzz "${resume[@]}" -o "findings/$target" -x dict/strongroom.dict -t 5000 -m none "${budget[@]}" -- dotnet "$out/Strongroom.Fuzz.dll" "$target" || true

stats="findings/$target/default/fuzzer_stats"
if [ -f "$stats" ]; then
  awk -F' *: *' '/^(run_time|execs_done|execs_per_sec|corpus_count|corpus_found|saved_crashes|saved_hangs|bitmap_cvg|stability)/ {printf "  %-14s %s\n", $1, $2}' "$stats"
fi
crashes=$(find "findings/$target/default/crashes" -type f -name 'id:*' 2>/dev/null | sort)
if [ -n "$crashes" ]; then
  echo "==> replaying crashes in the uninstrumented build (instrumented code needs AFL++'s shared memory)"
  # shellcheck disable=SC2086
  dotnet out/plain/Strongroom.Fuzz.dll --replay "$target" $crashes | grep -E '^(CRASH|   at (Strongroom|Org|Google|System.Text)|[a-z-]+: [0-9]+ inputs)' | head -60 || true
  exit 1
fi
