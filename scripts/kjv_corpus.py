#!/usr/bin/env python3
"""The King James Bible as a language-modelling corpus in the Penn Treebank layout.

Reads the text from Debian's bible-kjv package (`apt-get install bible-kjv`, public domain) and writes
OUT/ptb.train.txt, OUT/ptb.valid.txt and OUT/ptb.test.txt, which `tftrain train --model lstm-tiny --data OUT` reads
as it reads PTB.

    python3 scripts/kjv_corpus.py OUT

What it does, and how the result differs from PTB:
- one verse per line (PTB: one sentence per line); lower case; a run of digits becomes N (as in PTB); every other
  character but letters and apostrophes inside words is dropped (PTB keeps some punctuation-free tokens like 's);
- the 66 books are split whole, in canonical order: book i goes to valid when i % 10 == 8, to test when
  i % 10 == 9, otherwise to train (PTB splits by WSJ sections), so the held-out text is other books, not other
  verses of the same book;
- the vocabulary is the 9,999 most frequent training words plus <unk> (10,000 words, as PTB's); rarer words and
  held-out words outside it become <unk> (ties broken alphabetically, so the output is the same on every machine);
- 17th-century English of one translation: a narrower, more repetitive language than 1989 Wall Street Journal text,
  so perplexities are lower than PTB's and not comparable with published PTB numbers.
"""
import collections
import os
import re
import subprocess
import sys

VERSE = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$")
WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|N")


def words(text):
    return WORD.findall(re.sub(r"[0-9]+", "N", text.lower()))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: kjv_corpus.py OUT_FOLDER")
    out = sys.argv[1]
    try:
        text = subprocess.run(["bible", "-f", "-l", "10000000", "gen1:1-rev22:21"], capture_output=True, text=True,
                              check=True).stdout
    except FileNotFoundError:
        sys.exit("kjv_corpus.py: the 'bible' command is missing (apt-get install bible-kjv)")
    books = []  # [(name, [verse words])]
    for line in text.splitlines():
        match = VERSE.match(line)
        if not match:
            continue
        book = match.group(1)
        if not books or books[-1][0] != book:
            books.append((book, []))
        verse = words(match.group(4))
        if verse:
            books[-1][1].append(verse)
    if len(books) != 66:
        sys.exit("kjv_corpus.py: expected the 66 books of the KJV, read %d" % len(books))
    splits = {"train": [], "valid": [], "test": []}
    for i, (_, verses) in enumerate(books):
        splits["valid" if i % 10 == 8 else "test" if i % 10 == 9 else "train"].extend(verses)
    counts = collections.Counter(w for verse in splits["train"] for w in verse)
    vocabulary = set(w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:9999])
    os.makedirs(out, exist_ok=True)
    for name, verses in splits.items():
        unknown = 0
        tokens = 0
        with open(os.path.join(out, "ptb.%s.txt" % name), "w", encoding="utf-8") as f:
            for verse in verses:
                kept = [w if w in vocabulary else "<unk>" for w in verse]
                unknown += sum(1 for w in verse if w not in vocabulary)
                tokens += len(verse)
                f.write(" " + " ".join(kept) + " \n")
        print("%s: %d verses, %d words, %.2f%% <unk>" % (name, len(verses), tokens, 100.0 * unknown / tokens))
    print("vocabulary: %d words + <unk>; books: valid %s, test %s" % (
        len(vocabulary), ", ".join(b for i, (b, _) in enumerate(books) if i % 10 == 8),
        ", ".join(b for i, (b, _) in enumerate(books) if i % 10 == 9)))


if __name__ == "__main__":
    main()
