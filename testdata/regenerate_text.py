#!/usr/bin/env python3
"""Writes the word-level English corpora in testdata/ from Debian's King James Bible (bible-kjv, bible-kjv-text).

ptb/       ptb.{train,valid,test}.txt in Penn Treebank layout: one sentence (here: verse) per line with a leading
           space, lowercase, no punctuation, numbers as N, and a closed vocabulary: training words seen fewer than
           twice, and valid/test words not in that vocabulary, are <unk>. Train is the first ~100k words (Genesis on),
           valid ~10k words from Psalms 1:1 on, test ~10k words from Matthew 1:1 on.
wikitext/  wiki.{train,valid,test}.tokens in WikiText-2 layout: " = Book = " and " = = Chapter = = " heading lines,
           one paragraph (chapter) per line, case kept, punctuation split off as tokens, blank lines around headings,
           words seen fewer than three times in train as <unk>. ~20k / 2k / 2k tokens from Ruth, Jonah and Philemon+.

    sudo apt-get install bible-kjv
    python3 testdata/regenerate_text.py
"""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BOOKS = {  # abbreviation printed by `bible` -> name used in WikiText headings
    "Ruth": "Ruth", "1Sm": "1 Samuel", "Jonah": "Jonah", "Mic": "Micah", "Phmn": "Philemon", "Heb": "Hebrews",
}


def verses():
    """(book abbreviation, chapter, verse number, text) for the whole King James Bible, in order."""
    out = subprocess.run(["bible", "-f", "-l", "10000000", "gen1:1-rev22:21"], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        m = re.match(r"^(\d?[A-Z][A-Za-z]*?)(\d+):(\d+) (.*)$", line)
        if m:
            yield m.group(1), int(m.group(2)), int(m.group(3)), m.group(4).strip()


def take(all_verses, start, words, tokenize):
    """Consecutive verses from `start` = (book, chapter, verse) until `words` tokens."""
    out, count, on = [], 0, False
    for v in all_verses:
        if (v[0], v[1], v[2]) == start:
            on = True
        if on:
            out.append(v)
            count += len(tokenize(v[3]))
            if count >= words:
                return out
    raise SystemExit(f"ran out of text after {start}")


def ptb_tokens(text):
    text = text.lower().replace("'s ", " 's ")
    text = re.sub(r"[0-9]+", " N ", text)
    return re.findall(r"[a-z]+|'s|N", text)


def wiki_tokens(text):
    text = text.replace("-", " @-@ ")
    return re.findall(r"@-@|[A-Za-z]+(?:'[a-z]+)?|[0-9]+|[^\sA-Za-z0-9]", text)


def write(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def ptb(all_verses):
    splits = {"train": take(all_verses, ("Ge", 1, 1), 100_000, ptb_tokens),
              "valid": take(all_verses, ("Psa", 1, 1), 10_000, ptb_tokens),
              "test": take(all_verses, ("Mat", 1, 1), 10_000, ptb_tokens)}
    counts = collections.Counter(t for v in splits["train"] for t in ptb_tokens(v[3]))
    vocab = {w for w, c in counts.items() if c >= 2}
    os.makedirs(os.path.join(HERE, "ptb"), exist_ok=True)
    for name, chosen in splits.items():
        lines = [" " + " ".join(t if t in vocab else "<unk>" for t in ptb_tokens(v[3])) + " " for v in chosen]
        write(os.path.join(HERE, "ptb", f"ptb.{name}.txt"), lines)
        print(f"ptb.{name}.txt: {len(lines)} lines, {sum(len(l.split()) for l in lines)} words")
    print(f"ptb vocabulary: {len(vocab) + 1} types with <unk>")


def wikitext(all_verses):
    splits = {"train": take(all_verses, ("Ruth", 1, 1), 20_000, wiki_tokens),
              "valid": take(all_verses, ("Jonah", 1, 1), 2_000, wiki_tokens),
              "test": take(all_verses, ("Phmn", 1, 1), 2_000, wiki_tokens)}
    counts = collections.Counter(t for v in splits["train"] for t in wiki_tokens(v[3]))
    vocab = {w for w, c in counts.items() if c >= 3}
    os.makedirs(os.path.join(HERE, "wikitext"), exist_ok=True)
    for name, chosen in splits.items():
        lines, book, chapter, paragraph = [""], None, None, []

        def flush():
            if paragraph:
                lines.append(" " + " ".join(paragraph) + " ")
                lines.append("")
                paragraph.clear()

        for b, c, _, text in chosen:
            if b != book:
                flush()
                book, chapter = b, None
                lines += [f" = {BOOKS.get(b, b)} = ", ""]
            if c != chapter:
                flush()
                chapter = c
                lines += [f" = = Chapter {c} = = ", ""]
            paragraph += [t if t in vocab else "<unk>" for t in wiki_tokens(text)]
        flush()
        write(os.path.join(HERE, "wikitext", f"wiki.{name}.tokens"), lines)
        print(f"wiki.{name}.tokens: {len(lines)} lines, {sum(len(l.split()) for l in lines)} tokens")


if __name__ == "__main__":
    try:
        all_verses = list(verses())
    except FileNotFoundError:
        sys.exit("the `bible` command was not found: apt-get install bible-kjv")
    if len(all_verses) != 31102:
        sys.exit(f"expected 31102 verses from bible-kjv, got {len(all_verses)}")
    ptb(all_verses)
    wikitext(all_verses)
