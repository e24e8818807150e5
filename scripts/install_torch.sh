#!/usr/bin/env bash
# Install torch at requirements.txt's pin as the CPU build: PyPI's Linux wheel is the CUDA one and pulls
# gigabytes of nvidia packages. Uses $TORCH_INDEX (the CPU wheel index unless set: a CUDA index gives a GPU
# build, see README) when it answers; otherwise PyPI, with a warning, where a CPU wheel already on disk
# (pip's find-links) still wins over the CUDA one.
# usage: scripts/install_torch.sh PIP
set -euo pipefail
pip=$1
spec=$(grep -E '^torch==' "$(dirname "$0")/../requirements.txt")
index=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
if "$(dirname "$pip")/python" "$(dirname "$0")/index_answers.py" "$index"; then
  "$pip" install -q "$spec" --index-url "$index"
else
  echo "install_torch: $index does not answer; installing $spec from PyPI (a CUDA build on Linux, unless a CPU wheel is at hand)" >&2
  "$pip" install -q "$spec"
fi
