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
    return apply_overrides(profile_overrides(name, extra), params_file)


def profile_overrides(name: str, extra: dict | None = None) -> dict:
    """The profile's overrides (none for ``default``) with the dotted ``extra`` keys on top."""
    overrides = load_profile(name) if name != "default" else {}
    for dotted, value in (extra or {}).items():
        _set(overrides, dotted.split("."), value)
    return overrides


def load_profile(name: str) -> dict:
    path = PROFILES / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in PROFILES.glob("*.yaml"))
        raise ValueError(f"unknown profile {name!r}; known: default, {', '.join(known)}")
    return load_yaml(path.read_text(encoding="utf-8"), path) or {}


def apply_overrides(overrides: dict, params_file: Path = PARAMS_FILE) -> list[str]:
    text, changed = merge_overrides(params_file.read_text(), overrides, origin=params_file)
    if changed:
        from components.io import write_text

        write_text(params_file, text)
    return changed


def merge_overrides(text: str, overrides: dict, origin: Path = PARAMS_FILE) -> tuple[str, list[str]]:
    """``text`` (the params.yaml at ``origin``) with ``overrides`` merged in, comments kept, and the
    changed keys. The result is validated; nothing is written; errors name ``origin``."""
    from ruamel.yaml import YAML, YAMLError

    ruamel = YAML()
    ruamel.preserve_quotes = True
    ruamel.width = 4096  # never wrap a long line the file has
    ruamel.indent(mapping=2, sequence=4, offset=2)  # list items as params.yaml writes them: "  - item"
    ruamel.representer.add_representer(type(None), _null)  # `null` stays `null`, not an empty value
    try:
        document = ruamel.load(text)
    except YAMLError as exc:
        raise yaml_error(origin, exc) from None
    changed: list[str] = []
    _merge(document, overrides, "", changed)
    merged = _dump(ruamel, document)
    parse_params(yaml.safe_load(merged), source=f"{origin} with overrides")
    return (merged if changed else text), changed


def _merge(target, overrides: dict, prefix: str, changed: list[str]) -> None:
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, f"{name}.", changed)
        elif target.get(key) != value:
            target[key] = _styled(value, target.get(key))
            changed.append(name)


def _styled(value, old):
    """``value`` written in the style the file wrote ``old`` in: a list or mapping that was ``[a, b]`` or
    ``{k: v}`` stays on one line; the items of a block list keep their first item's style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, list):
        new = CommentedSeq(_styled(item, old[0] if isinstance(old, list) and old else None) for item in value)
    elif isinstance(value, dict):
        new = CommentedMap((k, _styled(v, None)) for k, v in value.items())
    else:
        return value
    if getattr(old, "fa", None) is not None and old.fa.flow_style():
        new.fa.set_flow_style()
    return new


def _null(representer, _value):
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _set(tree: dict, keys: list[str], value) -> None:
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


def _dump(ruamel, document) -> str:
    import io

    buffer = io.StringIO()
    ruamel.dump(document, buffer)
    return buffer.getvalue()
