"""The CLI around the judge card: ``judgeops card``, ``judgeops promote`` and ``judgeops gate``
(registered on the app by components/cli.py)."""

from __future__ import annotations

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
) -> None:
    """Check a registered judge's card against thresholds; exit 1 with one line per failed check."""
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
