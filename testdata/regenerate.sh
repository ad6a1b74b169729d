#!/usr/bin/env bash
# Regenerates everything in testdata/ from Debian packages; the output is byte-for-byte reproducible.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v bible >/dev/null || [[ ! -d /usr/share/datasets/fashion-mnist ]]; then
  echo "needs: sudo apt-get install dataset-fashion-mnist bible-kjv" >&2
  exit 1
fi
python3 regenerate_fashion_mnist.py
python3 regenerate_text.py
