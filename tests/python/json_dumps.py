#!/usr/bin/env python3
"""CPython's own answers for Strongroom's sqooler-compatibility tests (standard library only).

stdin:  a JSON array of [mode, text] pairs.
stdout: json.dumps of a list with one answer per pair: {"out": str} or {"error": str}.

modes
  dumps          json.dumps(json.loads(text))                    -- sqooler's payload serialization
  header         json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
                 -- the same bytes as pydantic's JWSHeader.model_dump_json() for a header dict
                    already in model order (alg, kid, typ, version)
  repr           repr(float(text))
  signing_input  text is {"header": {...}, "payload": {...}}: the ASCII bytes sqooler signs,
                 b64url_padded(header json) + "." + b64url_padded(json.dumps(payload))
"""
import base64
import json
import sys


def header_json(header):
    return json.dumps(header, separators=(",", ":"), ensure_ascii=False)


def answer(mode, text):
    if mode == "dumps":
        return json.dumps(json.loads(text))
    if mode == "header":
        return header_json(json.loads(text))
    if mode == "repr":
        return repr(float(text))
    if mode == "signing_input":
        doc = json.loads(text)
        h = base64.urlsafe_b64encode(header_json(doc["header"]).encode("utf-8"))
        p = base64.urlsafe_b64encode(json.dumps(doc["payload"]).encode("utf-8"))
        return (h + b"." + p).decode("ascii")
    raise ValueError("unknown mode " + mode)


def main():
    requests = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    answers = []
    for mode, text in requests:
        try:
            answers.append({"out": answer(mode, text)})
        except (ValueError, UnicodeEncodeError) as error:
            answers.append({"error": type(error).__name__ + ": " + str(error)})
    sys.stdout.write(json.dumps(answers))


if __name__ == "__main__":
    main()
