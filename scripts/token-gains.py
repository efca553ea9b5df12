#!/usr/bin/env python3
"""Where two models' log-likelihoods of the same text differ, token by token.

    python3 scripts/token-gains.py REFERENCE MODEL [--top N]

REFERENCE and MODEL are files of `mxc-run MODEL.mxc --prompt TEXT
--save-logits FILE` on the same prompt (the same tokens). Prints each one's
mean negative log-likelihood of the next tokens, the model's gain (reference
NLL minus model NLL, in nats: positive where the model predicts the text
better), and the N positions of the largest gains with the token predicted
(its id; `mxc-run --tokenize` maps text to ids) and both NLLs. A gain that
the top few positions hold is a gain on a few tokens, not on the text
(docs/tuning.md: a fine-tuned model that learns the text's layout).
"""

import argparse
import math
import struct
import sys


def load(path):
    """The tokens and the next-token NLLs of a --save-logits file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"MXCLOGIT":
        sys.exit(f"token-gains: {path} is not an mxc-run --save-logits file")
    count, vocab = struct.unpack_from("<qq", data, 8)
    tokens = struct.unpack_from(f"<{count}i", data, 24)
    logits = struct.unpack_from(f"<{count * vocab}f", data, 24 + 4 * count)
    nll = []
    for t in range(count - 1):
        row = logits[t * vocab : (t + 1) * vocab]
        top = max(row)
        log_sum = top + math.log(sum(math.exp(x - top) for x in row))
        nll.append(log_sum - row[tokens[t + 1]])
    return tokens, nll


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("reference")
    parser.add_argument("model")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    ref_tokens, ref = load(args.reference)
    tokens, nll = load(args.model)
    if ref_tokens != tokens:
        sys.exit("token-gains: the two files hold different tokens")
    if not nll:
        sys.exit("token-gains: no next tokens (one token only)")
    gains = [a - b for a, b in zip(ref, nll)]
    n = len(gains)
    print(f"tokens predicted: {n}")
    print(f"mean NLL: reference {sum(ref) / n:.5f}, model {sum(nll) / n:.5f}")
    print(f"model's gain: {sum(gains):.3f} nats in all, {sum(gains) / n:.5f} per token")
    top = sorted(range(n), key=lambda i: -gains[i])[: args.top]
    print(f"the {len(top)} largest gains: {sum(gains[i] for i in top):.3f} nats")
    print("| position | token | reference NLL | model NLL | gain |")
    print("|---|---|---|---|---|")
    for i in top:
        print(f"| {i + 1} | {tokens[i + 1]} | {ref[i]:.3f} | {nll[i]:.3f} | {gains[i]:.3f} |")


if __name__ == "__main__":
    main()
