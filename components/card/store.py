"""The judge card in the MLflow model registry: published on a registered version (its description, and
card/judge_card.json and .md as artifacts of its logged model) and read back by reference."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from components.card import ARTIFACT_DIR, CARD_JSON, CARD_MD
from components.card.render import description, markdown

REF = re.compile(r"^(?:models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))|(?P<bare>\d+))$")


def version_of(ref: str) -> str:
    """The registered ``judge`` version ``ref`` names: ``models:/judge@ALIAS``, ``models:/judge/N`` or ``N``."""
    from components.tracking import REGISTERED_MODEL, alias_version

    found = REF.match(ref.strip())
    if not found:
        raise ValueError(f"{ref!r} is not models:/judge@ALIAS, models:/judge/VERSION or a version number")
    if found["name"] and found["name"] != REGISTERED_MODEL:
        raise ValueError(f"{ref!r}: judgeops registers its judges as {REGISTERED_MODEL!r}")
    if found["alias"]:
        held = alias_version(found["alias"])
        if held is None:
            raise ValueError(f"no version of {REGISTERED_MODEL!r} holds the alias {found['alias']!r}")
        return str(held["version"])
    return found["version"] or found["bare"]


def write(card: dict, folder: Path) -> tuple[Path, Path]:
    """judge_card.json and judge_card.md in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    as_json, as_md = folder / CARD_JSON, folder / CARD_MD
    as_json.write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
    as_md.write_text(markdown(card))
    return as_json, as_md


def publish(card: dict, folder: Path, tracker=None) -> None:
    """Write the card to ``folder``, set its Markdown as the version's description, log both files as
    artifacts of the version's logged model (and of ``tracker``'s run, when given) and tag the version
    with the figures promotion reads at a glance."""
    from components.tracking import set_version_tags

    as_json, as_md = write(card, folder)
    client, name, version = _client(), *_name_version(card)
    client.update_model_version(name, version, description=description(as_md.read_text()))
    model_id = _model_id(client.get_model_version(name, version))
    if model_id:
        for path in (as_json, as_md):
            client.log_model_artifact(model_id, str(path), ARTIFACT_DIR)
    if tracker is not None:
        tracker.artifact(as_json, ARTIFACT_DIR)
        tracker.artifact(as_md, ARTIFACT_DIR)
    figures = card.get("gate_figures", {})
    set_version_tags(
        version,
        {
            "card": f"{ARTIFACT_DIR}/{CARD_JSON}",
            "parse_failure_rate": figures.get("parse_failure_rate", float("nan")),
            "audit_flagged": ",".join(figures.get("flagged", [])) or "none",
        },
    )


def load(ref: str) -> dict:
    """The card of the version ``ref`` names (see ``version_of``); ValueError when it has none."""
    from mlflow.exceptions import MlflowException

    from components.tracking import REGISTERED_MODEL

    version = version_of(ref)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # `judgeops card` prints the card only
    _client()
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        uri = f"models:/{REGISTERED_MODEL}/{version}/{ARTIFACT_DIR}/{CARD_JSON}"
        try:
            path = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp)
        except (MlflowException, OSError) as exc:
            why = f"version {version} of {REGISTERED_MODEL!r} has no card (rerun the report stage): {exc}"
            raise ValueError(why) from None
        return json.loads(Path(path).read_text())


def figures_of(version: str) -> dict | None:
    """The gate figures on version ``version``'s card (what promotion pairs with), None when it has no card."""
    try:
        return load(str(version)).get("gate_figures")
    except ValueError:
        return None


def republish(card: dict, folder: Path | None = None) -> None:
    """Publish an updated card (a forced promotion) to the registry, from a scratch folder."""
    with tempfile.TemporaryDirectory() as tmp:
        publish(card, Path(folder or tmp))


def _client():
    from mlflow import MlflowClient

    from components.tracking import _mlflow

    _mlflow()
    return MlflowClient()


def _name_version(card: dict) -> tuple[str, str]:
    from components.tracking import REGISTERED_MODEL

    return REGISTERED_MODEL, str(card["version"])


def _model_id(version) -> str | None:
    """The logged model behind a registered version (its ``model_id``, or the id in a ``models:/m-...`` source)."""
    if getattr(version, "model_id", None):
        return version.model_id
    source = version.source or ""
    return source.removeprefix("models:/") if source.startswith("models:/m-") else None
