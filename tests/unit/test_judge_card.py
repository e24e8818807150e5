"""The judge card: built from figures with its known limits written by rule, published on the registered
version (description and artifacts), printed by `judgeops card`, checked by `judgeops gate`; a forced
promotion is recorded on it; `judgeops audit --fail-on flagged` fails on a flagged probe."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from components.card.build import build_card, probe_entry
from components.card.gate import Thresholds, check
from components.card.render import MAX_DESCRIPTION, description, markdown
from components.cli import app
from components.config import AuditParams
from components.io import write_jsonl
from tests.conftest import REPO
from tests.factories import audit_pairs

runner = CliRunner()
NAN = math.nan


def ci(value, low, high):
    return {"value": value, "low": low, "high": high}


def probe(name, value, low, high, evidence, flagged=False, n=50, metric="rate"):
    return {
        "probe": name,
        "judge": "finetuned",
        "metric": metric,
        "value": value,
        "low": low,
        "high": high,
        "flagged": flagged,
        "evidence": evidence,
        "n": n,
        "verdict": "",
        "skipped": "",
        "flipped": [
            {"pair_id": f"p{i}", "variant": "pad", "verdict_before": 1, "verdict_after": 2, "raw_after": "8 9\n" * 200}
            for i in range(5)
        ],
    }


def card(version="1", auc=ci(0.52, 0.41, 0.63), flagged_position=True, human=None, decision=None) -> dict:
    tuned = {
        "agreement": ci(0.71, 0.66, 0.76),
        "cohen_kappa": ci(0.45, 0.38, 0.52),
        "f1_macro": ci(0.6, 0.55, 0.65),
        "parse_failure_rate": 0.01,
        "consistency": 0.95,
    }
    audit = [
        probe(
            "position", 0.6, 0.5, 0.7, "flagged" if flagged_position else "ok", flagged_position, metric="consistency"
        ),
        probe("verbosity", 0.12, 0.05, 0.2, "not significant", metric="toward_padded_rate"),
    ]
    return build_card(
        version=version,
        recorded={"method": "lora", "template": "pointwise", "output_format": "pointwise", "best_step": 300},
        what={"base_model": "HuggingFaceTB/SmolLM2-135M-Instruct", "base_fingerprint": "abc", "kind": "pointwise"},
        data={"teacher": "oracle", "families": {"math": 10}, "splits": {"test": {"pairs": 200, "md5": "t1"}}},
        quality={
            "finetuned": tuned,
            "base": {**tuned, "agreement": ci(0.5, 0.45, 0.55)},
            "gain": ci(0.21, 0.15, 0.27),
            "auc": {"finetuned": auc},
            "by_source": {
                "finetuned": [{"kind": "wrong", "n": 40, "judged": 40, "teacher": 2.0, "judge": 6.5, "mae": 4.5}]
            },
            "teacher_auc": ci(0.99, NAN, NAN),
            "human": human or {},
        },
        audit=audit,
        audit_params=AuditParams(),
        decision=decision or {"promoted": True, "version": version, "why": "there was no champion yet"},
        gate_figures={"agreement": 0.71, "parse_failure_rate": 0.01, "flagged": ["position"], "pairs": {}},
    )


def test_known_limits_are_written_from_the_figures():
    limits = "\n".join(card()["limits"])
    assert "cannot tell right from wrong answers: correct-vs-wrong AUC 0.52 (95% CI 0.41-0.63) includes 0.5" in limits
    assert "fooled by position: consistency 0.60 (95% CI 0.50-0.70) wholly below its line 0.80" in limits
    assert "possibly fooled by verbosity" in limits
    assert "scores wrong answers 4.5 points from the teacher" in limits
    assert "not evaluated on any human-labelled set: its agreement is with oracle only" in limits
    assert "base model" not in limits  # the gain's CI excludes 0: no limit on it
    clean = "\n".join(card(auc=ci(0.9, 0.85, 0.95), flagged_position=False)["limits"])
    assert "cannot tell right from wrong" not in clean and "fooled by position" not in clean


def test_the_card_states_each_probe_with_its_threshold_and_at_most_three_quoted_examples():
    found = {p["probe"]: p for p in card()["audit"]}
    assert found["position"]["threshold"] == 0.8 and found["position"]["lower_is_worse"]
    assert found["verbosity"]["threshold"] == 0.1 and not found["verbosity"]["lower_is_worse"]
    assert len(found["position"]["examples"]) == 3 and len(found["position"]["examples"][0]["raw_after"]) <= 240


def test_the_markdown_has_every_section_and_fits_the_registry():
    text = markdown(card())
    for heading in ("## Known limits", "## What it is", "## What it learned from", "## How good it is", "## What"):
        assert heading in text
    assert "| position | consistency | 0.600 [0.500, 0.700] | < 0.800 | 50 | FLAGGED |" in text
    assert "**Promotion:** champion -- there was no champion yet" in text
    long = text + "x\n" * MAX_DESCRIPTION
    assert len(description(long)) <= MAX_DESCRIPTION and "the whole card" in description(long)


def test_the_gate_fails_one_line_per_failed_check():
    failed = check(card(), Thresholds(min_agreement=0.8, min_auc=0.7, human={"pandalm": 0.6}))
    assert len(failed) == 4
    assert any("test agreement 0.710 < 0.8" in line for line in failed)
    assert any("correct-vs-wrong AUC 0.520 < 0.7" in line for line in failed)
    assert any("not evaluated on the human-labelled set 'pandalm'" in line for line in failed)
    assert any("probe position flagged" in line for line in failed)
    assert check(card(flagged_position=False), Thresholds(min_agreement=0.7)) == []
    assert check(card(), Thresholds(fail_on_flagged=False)) == []


def test_moving_a_probes_line_rereads_its_ci_by_the_audits_rule():
    assert check(card(flagged_position=False), Thresholds(probe_lines={"position": 0.75})) != []  # CI 0.5-0.7 < 0.75
    assert check(card(), Thresholds(probe_lines={"position": 0.55})) == []  # the CI reaches over 0.55


def test_published_on_the_version_printed_gated_and_a_forced_promotion_recorded(registered_judge, tmp_path):
    from mlflow import MlflowClient

    from components.card.store import load, publish
    from components.tracking import alias_version

    version = registered_judge()
    found = card(version=version)
    publish(found, tmp_path / "reports")
    assert json.loads((tmp_path / "reports" / "judge_card.json").read_text())["version"] == version
    shown = MlflowClient().get_model_version("judge", version)
    assert shown.description.startswith(f"# Judge card: judge v{version}") and shown.tags["audit_flagged"] == "position"
    assert load("models:/judge@candidate")["limits"] == found["limits"]

    printed = runner.invoke(app, ["card", "models:/judge@candidate"])
    assert printed.exit_code == 0 and "## Known limits" in printed.output

    gated = runner.invoke(app, ["gate", "models:/judge@candidate", "--min-agreement", "0.9"])
    assert gated.exit_code == 1, gated.output
    assert [line for line in gated.output.splitlines() if line.startswith("FAIL")] == [
        f"FAIL judge v{version}: test agreement 0.710 < 0.9",
        f"FAIL judge v{version}: probe position flagged: consistency 0.600 (95% CI 0.500-0.700) wholly below 0.8",
    ]
    assert runner.invoke(app, ["gate", version, "--allow-flagged", "--min-agreement", "0.7"]).exit_code == 0

    refused = runner.invoke(app, ["promote", version])
    assert refused.exit_code != 0
    forced = runner.invoke(app, ["promote", version, "--force", "--why", "the gate's margin is too strict here"])
    assert forced.exit_code == 0, forced.output
    assert str(alias_version("champion")["version"]) == version
    assert alias_version("champion")["tags"]["promoted_by_hand"] == "the gate's margin is too strict here"
    recorded = load("models:/judge@champion")["decision"]
    assert recorded["forced"] and "the gate's margin is too strict here" in recorded["why"]
    assert "(by hand)" in MlflowClient().get_model_version("judge", version).description


def test_a_forced_promotion_needs_a_reason():
    from components.card.commands import promote_by_hand

    with pytest.raises(ValueError, match="--why"):
        promote_by_hand("2", "  ")


def test_a_version_without_a_card_says_so(registered_judge):
    version = registered_judge()
    result = runner.invoke(app, ["card", version])
    assert result.exit_code != 0 and "has no card" in str(result.exception)


def test_audit_fail_on_flagged_exits_1_on_a_biased_judge_and_0_on_an_unbiased_one(mlflow_store):
    import shutil

    shutil.copy(REPO / "params.yaml", mlflow_store / "params.yaml")
    write_jsonl(mlflow_store / "pairs.jsonl", audit_pairs(36))
    args = ["audit", "--data", "pairs.jsonl", "--probes", "position", "--fail-on", "flagged"]
    biased = runner.invoke(app, [*args, "--judge", "scripted:always_first", "--out", "a"])
    assert biased.exit_code == 1 and "FLAGGED always_first position: consistency" in biased.output
    fair = runner.invoke(app, [*args, "--judge", "scripted:oracle", "--out", "b"])
    assert fair.exit_code == 0, fair.output
    assert runner.invoke(app, [*args[:-1], "sometimes", "--judge", "scripted:oracle"]).exit_code != 0


def test_the_drift_check_passes_the_same_judge_and_names_what_moved_on_another(registered_judge, tmp_path):
    """`judgeops gate --against-card`: a live judge measured again on the card's test pairs and probes."""
    import shutil

    from components.card.store import publish
    from components.io import file_md5

    shutil.copy(REPO / "params.yaml", "params.yaml")
    write_jsonl("pairs.jsonl", audit_pairs(36))
    version = registered_judge()
    measured = card(version=version)  # as an oracle's card reads: every figure at 1, position consistent
    measured["quality"]["finetuned"].update(
        agreement=ci(1.0, 0.95, 1.0), cohen_kappa=ci(1.0, 0.9, 1.0), f1_macro=ci(1.0, 0.9, 1.0)
    )
    measured["audit"] = [probe_entry(probe("position", 1.0, 0.95, 1.0, "ok", metric="consistency"), AuditParams())]
    measured["data"]["splits"]["test"]["md5"] = file_md5("pairs.jsonl")
    publish(measured, tmp_path / "reports")
    args = ["gate", "--against-card", version, "--data", "pairs.jsonl"]

    same = runner.invoke(app, [*args, "--judge", "scripted:oracle"])
    assert same.exit_code == 0, same.output
    assert "held test agreement: now 1.000, card 1.000 (95% CI 0.950-1.000)" in same.output
    assert "held probe position (consistency): now 1.000" in same.output and "PASS scripted:oracle" in same.output

    other = runner.invoke(app, [*args, "--judge", "scripted:always_first"])
    assert other.exit_code == 1, other.output
    moved = [line for line in other.output.splitlines() if line.startswith("MOVED")]
    assert [line.split(":")[0] for line in moved] == [
        "MOVED test agreement",
        "MOVED kappa",
        "MOVED macro F1",
        "MOVED probe position (consistency)",
    ]
    assert "FAIL scripted:always_first against judge v1's card" in other.output

    write_jsonl("other.jsonl", audit_pairs(12))
    elsewhere = runner.invoke(
        app, ["gate", "--against-card", version, "--data", "other.jsonl", "--judge", "scripted:oracle"]
    )
    assert elsewhere.exit_code != 0 and "is not the test split" in str(elsewhere.exception)
    assert "needs --judge" in str(runner.invoke(app, args).exception)


def test_self_enhancement_examples_read_as_gold_against_the_judges_verdict():
    from components.card.build import probe_entry

    found = probe("self_enhancement", 0.2, 0.1, 0.3, "flagged", True, metric="error_asymmetry")
    found["flipped"] = [
        {"pair_id": "p1", "order": "swapped", "own_side": 1, "gold": 2, "verdict": 1, "raw": "[1] 9\n[2] 3"}
    ]
    (example,) = probe_entry(found, AuditParams())["examples"]
    assert example == {
        "pair_id": "p1",
        "variant": "swapped",
        "verdict_before": 2,
        "verdict_after": 1,
        "raw_after": "[1] 9 [2] 3",
    }
