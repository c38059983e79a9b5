#!/usr/bin/env python3
"""Lexicon-based sentiment scores: a tiny stand-in for "evaluate a model on private texts".

stdin:  {"texts": ["...", ...]}
stdout: {"model": "lexicon-v1", "scores": [{"index": 0, "score": 0.5, "positive": 1, "negative": 0}, ...], "mean": 0.5}
A text's score is (positive - negative) / matched words, in [-1, 1]; 0 when nothing matched.
"""
import json
import re
import sys

POSITIVE = {"good", "great", "excellent", "happy", "love", "like", "nice", "wonderful", "best", "fast", "clear", "helpful"}
NEGATIVE = {"bad", "terrible", "awful", "sad", "hate", "dislike", "poor", "worst", "slow", "broken", "confusing", "useless"}
NEGATORS = {"not", "no", "never", "don't", "isn't", "wasn't"}


def score(text):
    positive = negative = 0
    negate = False
    for word in re.findall(r"[a-z']+", text.lower()):
        if word in NEGATORS:
            negate = True
            continue
        polarity = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if negate:
            polarity = -polarity
            negate = False
        if polarity > 0:
            positive += 1
        elif polarity < 0:
            negative += 1
    matched = positive + negative
    return {"score": round((positive - negative) / matched, 4) if matched else 0.0, "positive": positive, "negative": negative}


def main():
    request = json.load(sys.stdin)
    texts = request.get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        print("input must be {\"texts\": [string, ...]}", file=sys.stderr)
        return 2
    scores = [dict(index=i, **score(t)) for i, t in enumerate(texts)]
    mean = round(sum(s["score"] for s in scores) / len(scores), 4) if scores else 0.0
    json.dump({"model": "lexicon-v1", "count": len(scores), "scores": scores, "mean": mean}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
