#!/usr/bin/env python3
"""Writes a byte-level BPE tokenizer.json (the HuggingFace tokenizers
format) of VOCAB tokens, its merges learnt from TEXT, in one of the layouts
real models ship:

  bl_tokenizer_json.py TEXT VOCAB OUT --variant gpt2|llama3|smollm

gpt2:   the ByteLevel pre-tokenizer (GPT-2's expression), <|endoftext|> last,
        no BOS (GPT-2's tokenizer.json).
llama3: a Split of Llama 3's expression then ByteLevel without its regex,
        ignore_merges, <|begin_of_text|> added by a TemplateProcessing
        post-processor (Llama 3's).
smollm: Digits (individual) then ByteLevel; <|endoftext|> first (SmolLM's).

The merges are learnt by counting adjacent pairs in words of TEXT (an ASCII
approximation of the pre-tokenizer is enough for learning); ties go to the
lexicographically smallest pair, so the file is the same on every run.
"""
import argparse
import collections
import json
import re


def bytes_to_unicode():
    """GPT-2's byte spelling (openai/gpt-2 encoder.py)."""
    bs = (list(range(ord("!"), ord("~") + 1)) +
          list(range(ord("\u00a1"), ord("\u00ac") + 1)) +
          list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


GPT2 = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|"
        r"\s+(?!\S)|\s+")
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
          r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("text")
    parser.add_argument("vocab", type=int)
    parser.add_argument("out")
    parser.add_argument("--variant", choices=["gpt2", "llama3", "smollm"],
                        required=True)
    args = parser.parse_args()

    spell = bytes_to_unicode()
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    words = collections.Counter(
        re.findall(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+",
                   text))
    corpus = {tuple(spell[b] for b in w.encode("utf-8")): n
              for w, n in words.items()}

    specials = {"gpt2": ["<|endoftext|>"],
                "llama3": ["<|begin_of_text|>", "<|end_of_text|>"],
                "smollm": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}
    special = specials[args.variant]
    first = 0
    if args.variant == "smollm":  # specials first, as SmolLM has them
        vocab = {s: i for i, s in enumerate(special)}
        first = len(special)
    else:
        vocab = {}
    for b in range(256):
        vocab[spell[b]] = first + b
    merges = []
    while len(vocab) + (0 if args.variant == "smollm" else len(special)) \
            < args.vocab:
        pairs = collections.Counter()
        for word, n in corpus.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merged = best[0] + best[1]
        merges.append(f"{best[0]} {best[1]}")
        if merged not in vocab:
            vocab[merged] = len(vocab)
        new_corpus = {}
        for word, n in corpus.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_corpus[tuple(out)] = new_corpus.get(tuple(out), 0) + n
        corpus = new_corpus

    added = []
    if args.variant == "smollm":
        added = [(s, vocab[s]) for s in special]
    else:
        for s in special:
            if args.variant == "gpt2":
                vocab[s] = len(vocab)  # GPT-2 has it in the vocabulary too
                added.append((s, vocab[s]))
            else:
                added.append((s, len(vocab) + len(added)))
    byte_level = {"type": "ByteLevel", "add_prefix_space": False,
                  "trim_offsets": True, "use_regex": True}
    if args.variant == "gpt2":
        pre = byte_level
        post = dict(byte_level)
    elif args.variant == "llama3":
        pre = {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3},
             "behavior": "Isolated", "invert": False},
            dict(byte_level, use_regex=False)]}
        post = {"type": "Sequence", "processors": [
            dict(byte_level, use_regex=False),
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>",
                                          "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {
                 "<|begin_of_text|>": {"id": "<|begin_of_text|>",
                                       "ids": [added[0][1]],
                                       "tokens": ["<|begin_of_text|>"]}}}]}
    else:
        pre = {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True}, byte_level]}
        post = dict(byte_level)
    model = {"type": "BPE", "dropout": None, "unk_token": None,
             "continuing_subword_prefix": "", "end_of_word_suffix": "",
             "fuse_unk": False, "byte_fallback": False,
             "ignore_merges": args.variant == "llama3",
             "vocab": vocab, "merges": merges}
    doc = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": [{"id": i, "content": s, "single_word": False,
                             "lstrip": False, "rstrip": False,
                             "normalized": False, "special": True}
                            for s, i in added],
           "normalizer": None, "pre_tokenizer": pre, "post_processor": post,
           "decoder": dict(byte_level), "model": model}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
