"""The CLI around the judge card: ``judgeops card``, ``judgeops promote`` and ``judgeops gate``
(registered on the app by components/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def card(ref: str = typer.Argument("models:/judge@champion", help="models:/judge@ALIAS, models:/judge/N or N")) -> None:
    """Print a registered judge's card (Markdown)."""
    from components.card.render import markdown
    from components.card.store import load

    typer.echo(markdown(load(ref)), nl=False)


def promote(
    version: str = typer.Argument(..., help="The registered judge version to make champion"),
    force: bool = typer.Option(False, "--force", help="Promote whatever the gate said (the report stage gates)"),
    why: str = typer.Option("", "--why", help="Why, recorded as a tag and on the version's card"),
) -> None:
    """Make VERSION the champion by hand: --force --why "..." (recorded on its card and as tags)."""
    from components.card.store import version_of

    if not force:
        raise ValueError(
            "promotion through the gate happens in the report stage (`judgeops report`); to overrule it, "
            'pass --force --why "..."'
        )
    decision = promote_by_hand(version_of(version), why)
    typer.echo(f"models:/judge@champion = version {decision['version']}: {decision['why']}")
    if "card" in decision:
        typer.echo(f"note: {decision['card']}", err=True)


def gate(
    ref: str = typer.Argument("models:/judge@champion", help="models:/judge@ALIAS, models:/judge/N or N"),
    min_agreement: Optional[float] = typer.Option(None, help="Minimum test agreement (point figure)"),
    min_agreement_low: Optional[float] = typer.Option(None, help="Minimum low end of test agreement's 95% CI"),
    min_kappa: Optional[float] = typer.Option(None, help="Minimum Cohen's kappa on the test split"),
    min_auc: Optional[float] = typer.Option(None, help="Minimum correct-vs-wrong AUC"),
    max_parse_failures: Optional[float] = typer.Option(None, help="Maximum parse-failure rate (0..1)"),
    human: list[str] = typer.Option([], help="NAME=MIN: minimum agreement on a human-labelled set; repeatable"),
    probe: list[str] = typer.Option([], help="NAME=LINE: read a probe's CI against this line; repeatable"),
    allow_flagged: bool = typer.Option(False, "--allow-flagged", help="Do not fail on flagged probes"),
    against_card: Optional[str] = typer.Option(
        None,
        "--against-card",
        help="Drift check: measure --judge again on this card's test pairs and probes (models:/judge@ALIAS, "
        "models:/judge/N or N); exit 1 when a figure falls outside the card's 95% CI",
    ),
    judge_spec: Optional[str] = typer.Option(
        None, "--judge", help="With --against-card: the live judge (openai:MODEL@URL, PATH, scripted:NAME, ...)"
    ),
    data: Path = typer.Option(
        Path("data/generated/test.jsonl"), help="With --against-card: the card's test split (its md5 is checked)"
    ),
    api_key_env: Optional[str] = typer.Option(None, help="Environment variable holding an openai judge's key"),
) -> None:
    """Check a registered judge's card against thresholds; exit 1 with one line per failed check. With
    --against-card, measure a live judge again and exit 1 when a figure moved beyond the card's CIs."""
    if against_card is not None:
        return drift(against_card, judge_spec, data, api_key_env)
    from components.card.gate import Thresholds, check
    from components.card.store import load

    found = load(ref)
    limits = Thresholds(
        min_agreement=min_agreement,
        min_agreement_low=min_agreement_low,
        min_kappa=min_kappa,
        min_auc=min_auc,
        max_parse_failures=max_parse_failures,
        human=_pairs(human, "--human"),
        probe_lines=_pairs(probe, "--probe"),
        fail_on_flagged=not allow_flagged,
    )
    failed = check(found, limits)
    for line in failed:
        typer.echo(f"FAIL {line}")
    if failed:
        raise typer.Exit(1)
    typer.echo(f"PASS judge v{found.get('version', '?')}: every check passed")


def drift(ref: str, judge_spec: str | None, data: Path, api_key_env: str | None) -> None:
    """``gate --against-card``: one line per figure (MOVED, held or n/a); exit 1 when any moved."""
    from components.card.drift import check_test_split, remeasure
    from components.card.store import load
    from components.config import load_params
    from components.io import file_md5, read_records
    from components.judges.spec import judge_from_spec
    from components.schemas import Pair

    if judge_spec is None:
        raise ValueError("--against-card needs --judge: the live judge to measure again (e.g. openai:MODEL@URL)")
    if not data.is_file():
        raise FileNotFoundError(f"--data {data}: no such file (the card's test split: `dvc repro generate`)")
    found = load(ref)
    check_test_split(found, file_md5(data), str(data))
    params = load_params()
    judge = judge_from_spec(judge_spec, params, api_key_env)
    figures = remeasure(found, judge, read_records(data, Pair).records, params.audit)
    for figure in figures:
        typer.echo(figure.line())
    moved = [figure.name for figure in figures if figure.moved]
    who = f"{judge_spec} against judge v{found.get('version', '?')}'s card"
    if moved:
        typer.echo(f"FAIL {who}: moved beyond the card's 95% CI: {', '.join(moved)}")
        raise typer.Exit(1)
    typer.echo(f"PASS {who}: no figure moved beyond its 95% CI")


def promote_by_hand(version: str, why: str) -> dict:
    """Move ``champion`` to ``version`` whatever the gate says, recording why as tags and on its card."""
    from components.card.store import load, republish
    from components.tracking import alias_version, set_alias, set_version_tags

    if not why.strip():
        raise ValueError('a forced promotion needs its reason: --why "..."')
    before = alias_version("champion")
    previous = str(before["version"]) if before else None
    set_alias("champion", str(version))
    decision = {
        "promoted": True,
        "forced": True,
        "version": str(version),
        "why": f"promoted by hand over {'v' + previous if previous else 'no champion'}: {why}",
    }
    set_version_tags(str(version), {"promoted_by_hand": why, "promoted_over": previous or "none"})
    try:
        card = load(str(version))
    except ValueError:
        decision["card"] = "no card to record it on (the tags hold it)"
        return decision
    card["decision"] = decision
    republish(card)
    return decision


def _pairs(values: list[str], option: str) -> dict[str, float]:
    found = {}
    for value in values:
        name, sep, number = value.partition("=")
        try:
            found[name.strip()] = float(number)
        except ValueError:
            raise ValueError(f"{option} {value!r}: expected NAME=NUMBER") from None
        if not sep or not name.strip():
            raise ValueError(f"{option} {value!r}: expected NAME=NUMBER")
    return found


def register(app: typer.Typer) -> None:
    for command in (card, promote, gate):
        app.command(command.__name__)(command)
