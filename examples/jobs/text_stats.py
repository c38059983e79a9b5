#!/usr/bin/env python3
"""Counts of a text: lines, tokens, characters and the ten most frequent tokens.

Input: the text as UTF-8 (invalid bytes replaced), from the file named as the first argument or
from stdin. stdout: {"lines": n, "tokens": n, "chars": n, "bytes": n, "top": [["token", count], ...]}
Ties in "top" are broken alphabetically so the output is deterministic.
"""
import collections
import json
import re
import sys


def main():
    if len(sys.argv) > 1:
        with open(sys.argv[1], "rb") as f:
            data = f.read()
    else:
        data = sys.stdin.buffer.read()
    text = data.decode("utf-8", errors="replace")
    tokens = re.findall(r"\w+", text.lower())
    counts = collections.Counter(tokens)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    json.dump({
        "lines": len(text.splitlines()),
        "tokens": len(tokens),
        "chars": len(text),
        "bytes": len(data),
        "top": [[t, c] for t, c in top],
    }, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
