"""`judgeops profile NAME` edits params.yaml the way a person would: only the lines of the keys the profile
sets change, in the file's own style; every other byte stays."""

from __future__ import annotations

import difflib

from components.profiles import apply_profile, load_profile
from components.workspace import committed_params
from tests.conftest import REPO


def flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        out.update(flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def test_a_profile_changes_only_the_lines_of_the_keys_it_sets(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(committed_params(REPO / "params.yaml")[0])  # as committed, by hand
    monkeypatch.chdir(REPO)  # profiles/ lives here
    before = (tmp_path / "params.yaml").read_text()
    changed = apply_profile("tiny", tmp_path / "params.yaml")
    after = (tmp_path / "params.yaml").read_text()

    removed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line.startswith("- ")]
    leaves = {key.rpartition(".")[2] for key in changed}
    for line in removed:  # each removed line is a changed key's own line, or an item of a list the profile set
        stripped = line[2:].strip()
        assert stripped.startswith("- ") or stripped.split(":")[0] in leaves, f"an untouched line changed: {line}"
    assert len(removed) <= len(changed) + 1, "the profile rewrote more than its keys"
    assert "path: null" in after, "null stays null"
    assert "families: [arithmetic, capitals, text_ops, lowercase]" in after, "a one-line list stays on one line"
    assert set(flat(load_profile("tiny"))) == set(changed)
