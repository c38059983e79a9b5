#!/usr/bin/env python3
"""The operator's configured StudioML job: summarizes a clear StudioML Request.

stdin:  a StudioML Request ({"experiment": {...}, "config": {...}}), as a runner receives it.
stdout: {"experiment": key, "project": ..., "entrypoint": "train.py --epochs 1 ...",
         "artifacts": [{"name", "qualified"}], "resources": {...}, "score": 0.xxxx}
It does not train anything (no network, no packages in the sandbox): "score" is a deterministic
stand-in, derived from the SHA-256 of the experiment key and arguments, so a verifier can recompute it.
"""
import hashlib
import json
import sys

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration):
    """'20m' -> 1200; None or an unknown form -> None."""
    if isinstance(duration, str) and len(duration) > 1 and duration[-1] in DURATION_UNITS and duration[:-1].isdigit():
        return int(duration[:-1]) * DURATION_UNITS[duration[-1]]
    return None


def main():
    request = json.load(sys.stdin)
    experiment = request.get("experiment")
    if not isinstance(experiment, dict) or not isinstance(experiment.get("key"), str):
        print("not a StudioML request: experiment.key missing", file=sys.stderr)
        return 2
    config = request.get("config") or {}
    args = [str(a) for a in experiment.get("args") or []]
    artifacts = experiment.get("artifacts") or {}
    digest = hashlib.sha256(json.dumps([experiment["key"], args]).encode("utf-8")).digest()
    summary = {
        "experiment": experiment["key"],
        "project": experiment.get("project"),
        "entrypoint": " ".join([experiment.get("filename") or "?"] + args),
        "artifacts": [{"name": name, "qualified": (a or {}).get("qualified")} for name, a in sorted(artifacts.items())],
        "resources": {
            "python": experiment.get("pythonver"),
            "packages": experiment.get("pythonenv") or [],
            "max_duration_seconds": seconds(experiment.get("max_duration")),
            "lifetime_seconds": seconds(config.get("experimentLifetime")),
            "env": sorted((config.get("env") or {}).keys()),
        },
        "score": round(int.from_bytes(digest[:4], "big") / 2**32, 4),
    }
    json.dump(summary, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
