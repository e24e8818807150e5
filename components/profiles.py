"""Profiles: named sets of params overrides (profiles/<name>.yaml) applied to params.yaml.

Applying one edits params.yaml in place -- comments kept -- exactly like `dvc exp run -S`, so
params.yaml stays the single source of configuration and dvc.lock records what ran.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from components.config import PARAMS_FILE, load_yaml, parse_params, yaml_error

PROFILES = Path("profiles")


def apply_profile(name: str, params_file: Path = PARAMS_FILE, extra: dict | None = None) -> list[str]:
    """Merge the profile (then ``extra`` dotted overrides) into params.yaml; return changed keys.
    The merged result is validated before anything is written."""
    overrides = load_profile(name) if name != "default" else {}
    for dotted, value in (extra or {}).items():
        _set(overrides, dotted.split("."), value)
    return apply_overrides(overrides, params_file)


def load_profile(name: str) -> dict:
    path = PROFILES / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in PROFILES.glob("*.yaml"))
        raise ValueError(f"unknown profile {name!r}; known: default, {', '.join(known)}")
    return load_yaml(path.read_text(encoding="utf-8"), path) or {}


def apply_overrides(overrides: dict, params_file: Path = PARAMS_FILE) -> list[str]:
    from ruamel.yaml import YAML, YAMLError

    ruamel = YAML()
    ruamel.preserve_quotes = True
    try:
        document = ruamel.load(params_file.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise yaml_error(params_file, exc) from None
    changed: list[str] = []
    _merge(document, overrides, "", changed)
    parse_params(yaml.safe_load(_dump(ruamel, document)), source=f"{params_file} with overrides")
    if changed:
        from components.io import write_text

        write_text(params_file, _dump(ruamel, document))
    return changed


def _merge(target, overrides: dict, prefix: str, changed: list[str]) -> None:
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, f"{name}.", changed)
        elif target.get(key) != value:
            target[key] = value
            changed.append(name)


def _set(tree: dict, keys: list[str], value) -> None:
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


def _dump(ruamel, document) -> str:
    import io

    buffer = io.StringIO()
    ruamel.dump(document, buffer)
    return buffer.getvalue()
