"""Writes the HuggingFace tokenizer.json of a llama2.c tokenizer file.

    sp_tokenizer_json.py TOK.bin VOCAB OUT.json [--string-merges]

As transformers' LlamaConverter does for a SentencePiece BPE model: the
pieces with U+2581 for ' ', byte fallbacks <0xXX>, and the merges (l, r)
of every piece l+r whose halves are pieces too, ordered by the piece's
score (highest first), then by the ids of l and r. Normalizer: prepend
U+2581, replace ' ' by it; decoder: the reverse.
"""
import json
import struct
import sys

META = "\u2581"


def main():
    path, vocab_size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    string_merges = "--string-merges" in sys.argv
    data = open(path, "rb").read()
    at, pieces, scores = 4, [], []
    for _ in range(vocab_size):
        score, length = struct.unpack("<fi", data[at:at + 8])
        at += 8
        pieces.append(data[at:at + length].decode("utf-8"))
        scores.append(score)
        at += length
    pieces[0], pieces[1], pieces[2] = "<unk>", "<s>", "</s>"
    pieces = [p.replace(" ", META) for p in pieces]
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = []
    for i in sorted(range(vocab_size), key=lambda i: (-scores[i], i)):
        piece = pieces[i]
        if i < 3 or (piece.startswith("<0x") and len(piece) == 6):
            continue
        local = [(piece[:k], piece[k:]) for k in range(1, len(piece))
                 if piece[:k] in vocab and piece[k:] in vocab]
        merges += sorted(local, key=lambda m: (vocab[m[0]], vocab[m[1]]))
    special = lambda i: {"id": i, "content": pieces[i], "single_word": False,
                         "lstrip": False, "rstrip": False, "normalized": False,
                         "special": True}
    tokenizer = {
        "version": "1.0",
        "added_tokens": [special(0), special(1), special(2)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": META},
            {"type": "Replace", "pattern": {"String": " "}, "content": META}]},
        "pre_tokenizer": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": META}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": "<unk>",
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": vocab,
            "merges": [" ".join(m) if string_merges else list(m)
                       for m in merges],
        },
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
