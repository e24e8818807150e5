"""A digest of everything a stage depends on -- what DVC hashes to decide it must rerun: its declared
params' values and the content of its deps, data and code. A cache keyed by it (the finetune stage's
checkpoint folder) is found again only when none of them changed: a resumed run never continues from
weights trained on other inputs.

Data deps are read relative to the working folder (where dvc runs); code deps (``components/...``) relative
to the folder the running code was imported from, which is the code that runs. Compiled files
(``__pycache__``) are not code. A dep that does not exist counts as missing, which is part of the digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from components.io import file_md5

CODE_ROOT = Path(__file__).resolve().parent.parent  # the folder holding the components package


def inputs_digest(params: dict, deps: Iterable[str], code_root: Path = CODE_ROOT, data_root: Path = Path()) -> str:
    """A short hex digest of ``params`` (the declared keys' values) and the content of every dep."""
    contents = {dep: tree_md5((code_root if _is_code(dep) else data_root) / dep) for dep in sorted(set(deps))}
    blob = json.dumps({"params": params, "deps": contents}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def tree_md5(path: Path) -> str:
    """The md5 of a file, or of a folder's files (by relative path and content); "missing" if neither."""
    if path.is_file():
        return file_md5(path)
    if not path.is_dir():
        return "missing"
    digest = hashlib.md5()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{file.relative_to(path).as_posix()}\0{file_md5(file)}\n".encode())
    return digest.hexdigest()


def _is_code(dep: str) -> bool:
    return Path(dep).parts[:1] == ("components",)
