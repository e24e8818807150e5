"""Exit 0 when the package index at argv[1] answers for torch within 20 s, else 1: a URL that does not
resolve would otherwise cost pip several retries per package. Stdlib only, so any python runs it."""

import sys
import urllib.request

try:
    urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=20)
except Exception:
    sys.exit(1)
