"""What an audit result may claim: it names the pairs it read (all of them by default, or a sample spread
across families) and each probe's n and families; it flags only when its CI lies wholly past the line; the
self-enhancement probe runs only where the judge's own family is known or named; and a probe reads each
distinct prompt once."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pytest

from components import paths
from components.audit.base import Bootstrap
from components.audit.runner import run_probe
from components.audit.sample import audit_sample
from components.audit.self_enhancement import SelfEnhancementProbe
from components.audit.stats import evidence
from components.audit.suite import audit_judge, render_markdown
from components.config import AuditParams
from components.judges.hf import HFJudge
from components.judges.parsers import parse
from components.judges.score_reading import Reading
from components.judges.scripted import Oracle, PrefersSource
from tests.factories import audit_pairs, make_pair

BOOTSTRAP = Bootstrap(resamples=200, seed=0)
FAMILIES = [f"family{index:02d}" for index in range(15)]


def stored_by_family(per_family: int = 8) -> list:
    """Pairs written family by family, as the generate stage writes data/generated/test.jsonl."""
    return [
        pair.model_copy(
            update={"id": f"{family}-{pair.id}", "question_id": f"{family}-{pair.question_id}", "family": family}
        )
        for family in FAMILIES
        for pair in audit_pairs(per_family)
    ]


@pytest.mark.parametrize(
    ("interval", "n", "lower_is_worse", "expected"),
    [
        ({"value": 0.30, "low": 0.15, "high": 0.45}, 40, False, "flagged"),  # the CI wholly above 0.1
        ({"value": 0.30, "low": 0.05, "high": 0.55}, 40, False, "not significant"),  # only the point is
        ({"value": 0.05, "low": 0.00, "high": 0.20}, 40, False, "ok"),
        ({"value": 0.50, "low": math.nan, "high": math.nan}, 40, False, "too few items"),  # no CI
        ({"value": 0.50, "low": 0.40, "high": 0.60}, 9, False, "too few items"),
        ({"value": 0.50, "low": 0.30, "high": 0.70}, 40, True, "flagged"),  # consistency below 0.8: mirrored
        ({"value": 0.70, "low": 0.50, "high": 0.90}, 40, True, "not significant"),
        ({"value": 0.90, "low": 0.70, "high": 1.00}, 40, True, "ok"),
    ],
)
def test_the_flag_rule(interval, n, lower_is_worse, expected):
    assert evidence(interval, n, 0.8 if lower_is_worse else 0.1, lower_is_worse) == expected


def test_the_whole_split_by_default_and_a_smaller_max_items_spreads_across_every_family():
    pairs = stored_by_family()
    everything, said = audit_sample(pairs, AuditParams().max_items)
    assert everything == pairs and said == f"all {len(pairs)} pairs (15 families)"

    chosen, said = audit_sample(pairs, 24)
    assert len(chosen) == 24 and {pair.family for pair in chosen} == set(FAMILIES)  # a prefix held 3 of them
    assert "24 of 120 pairs (audit.max_items 24), spread evenly across 15 of 15 families" == said
    assert [pair for pair in pairs if pair in chosen] == chosen, "kept in stored order"
    few, said = audit_sample(pairs, 5)
    assert len({pair.family for pair in few}) == 5 and "5 of 15 families" in said


def test_each_probe_result_names_its_n_its_families_and_the_sample():
    cfg = AuditParams(probes=["position", "knowledge"], max_items=30, bootstrap=200)
    results = audit_judge(Oracle(), stored_by_family(), cfg)
    position, knowledge = results
    assert position.n == 30 and sum(position.families.values()) == 30 and set(position.families) == set(FAMILIES)
    assert knowledge.n == knowledge.details["n"] and 0 < sum(knowledge.families.values()) < 30
    assert all("30 of 120 pairs" in result.sample for result in results)
    summary = render_markdown(results)
    assert "Audited 30 of 120 pairs" in summary and "| n | families |" in summary
    assert json.loads(json.dumps(position.to_dict()))["families"] == position.families


@dataclass(frozen=True)
class LocalPrefersSource(PrefersSource):
    """A judge with a bias for ``model:`` answers that runs on a local model folder, as an hf judge does."""

    model_path: str = str(paths.BASE_MODEL)


@pytest.fixture
def pipeline_base(tmp_path, monkeypatch):
    """A project folder whose data/base_model wrote the ``model:`` answers."""
    monkeypatch.chdir(tmp_path)
    paths.BASE_MODEL.mkdir(parents=True)
    (paths.BASE_MODEL / "judgeops_model.json").write_text(json.dumps({"source": "our-base"}))
    return tmp_path


def test_self_enhancement_is_skipped_for_a_judge_whose_family_is_unknown(pipeline_base):
    result = run_probe(SelfEnhancementProbe(), PrefersSource(), audit_pairs(72), BOOTSTRAP)
    assert result.skipped and not result.flagged and "audit.self_sources" in result.skipped
    other = pipeline_base / "other"
    other.mkdir()
    (other / "judgeops_model.json").write_text(json.dumps({"source": "another-base"}))
    result = run_probe(SelfEnhancementProbe(), LocalPrefersSource(model_path=str(other)), audit_pairs(72), BOOTSTRAP)
    assert result.skipped, "a local judge on another base is not of the model: answers' family"


def test_self_enhancement_runs_for_our_judges_family_and_where_the_user_names_it(pipeline_base):
    ours = run_probe(SelfEnhancementProbe(), LocalPrefersSource(), audit_pairs(72), BOOTSTRAP)
    assert not ours.skipped and ours.flagged and ours.n >= 10
    judge = pipeline_base / "judge"
    judge.mkdir()
    (judge / "judgeops_judge.json").write_text(json.dumps({"base_model": "our-base"}))  # a full finetune of it
    assert run_probe(
        SelfEnhancementProbe(), LocalPrefersSource(model_path=str(judge)), audit_pairs(72), BOOTSTRAP
    ).flagged
    named = run_probe(SelfEnhancementProbe(own_sources=("model:",)), PrefersSource(), audit_pairs(72), BOOTSTRAP)
    assert not named.skipped and named.flagged


class PromptTokenizer:
    """Just enough tokenizer for HFJudge.prompt: a chat template that joins the messages, a word per token."""

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return "\n".join(message["content"] for message in messages)

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": text.split()}


@dataclass
class CountingJudge(HFJudge):
    """A pointwise hf judge whose reader records every prompt it reads and scores it 7."""

    reads: list[str] = field(default_factory=list)

    def _load(self) -> None:
        self.tokenizer = self.tokenizer or PromptTokenizer()

    def _load_tokenizer(self) -> None:  # a judgment's cache key is its prompt, which needs only the tokenizer
        self._load()

    def _read(self, prompts: list[str]) -> list[Reading]:
        self.reads += prompts
        return [Reading("7", parse("pointwise", "7")) for _ in prompts]


def test_each_probe_reads_each_distinct_prompt_once(tmp_path):
    """100 pairs share one answer (as a question's pairs share its answers): more items than one cache chunk."""
    pairs = [
        make_pair(id=f"p{index}", question_id="q", answer1="The sum is 4.", answer2=f"The sum is {index + 5}.")
        for index in range(100)
    ]
    (tmp_path / "model").mkdir()
    judge = CountingJudge("counting", tmp_path / "model", template="pointwise", mode="score_first")
    cfg = AuditParams(probes=["position"], bootstrap=0)
    audit_judge(judge, pairs, cfg, tmp_path / "judgments.jsonl")
    assert len(judge.reads) == len(set(judge.reads)) == 101, "every distinct answer read once"
