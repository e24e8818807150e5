"""Logprob mode: the expected-score maths on a scripted model, then the real code paths on the tiny Llama."""

import math
import re
from types import SimpleNamespace

import pytest
import torch

from components.judges.base import both_orders
from components.judges.hf import HFJudge
from components.judges.logprob import read_judgments, shared_prefix_batches
from components.judges.templates import get_template
from components.schemas import FIRST, SECOND, TIE, verdict_from_scores
from tests.factories import arithmetic_pairs
from tests.teach import teach

pytestmark = pytest.mark.slow

ANSWER_START = "<|im_start|>assistant\n"


class Seen:
    """The scripted model's KV cache: the tokens fed so far, repeatable per row like HF's DynamicCache."""

    def __init__(self, ids: torch.Tensor):
        self.ids = ids

    def batch_repeat_interleave(self, repeats: int) -> None:
        self.ids = self.ids.repeat_interleave(repeats, dim=0)


class ScriptedModel:
    """A causal LM whose next-token probabilities are looked up from the text written so far.

    ``script[case][written]`` maps token strings to probabilities (the rest goes to "The"), where
    ``case`` is named in the prompt and ``written`` is the visible text after the answer start. The
    cache keeps every token fed and the attention mask decides what is visible, so a probe that is
    not hidden shows up as text the script does not know."""

    def __init__(self, tokenizer, script: dict[str, dict[str, dict[str, float]]]):
        self.tokenizer, self.script = tokenizer, script
        self.vocab = len(tokenizer)
        self.filler = tokenizer.convert_tokens_to_ids("The")

    def __call__(self, input_ids, attention_mask, position_ids, cache, use_cache, logits_to_keep):
        seen = input_ids if cache is None else torch.cat([cache.ids, input_ids], dim=1)
        width = seen.shape[1]
        logits = torch.full((seen.shape[0], logits_to_keep, self.vocab), -1e9)
        for row in range(seen.shape[0]):
            for slot, column in enumerate(range(width - logits_to_keep, width)):
                visible = seen[row, : column + 1][attention_mask[row, : column + 1].bool()]
                logits[row, slot] = self._logits(self.tokenizer.decode(visible))
        return SimpleNamespace(logits=logits, cache=Seen(seen))

    def _logits(self, text: str) -> torch.Tensor:
        case = re.search(r"case=(\w+)", text)[1]
        written = text.split(ANSWER_START, 1)[1]
        probabilities = self.script[case].get(written, {})
        logits = torch.full((self.vocab,), -1e9)
        for token, p in probabilities.items():
            logits[self.tokenizer.convert_tokens_to_ids(token)] = math.log(p)
        rest = 1 - sum(probabilities.values())
        if rest > 0:
            logits[self.filler] = math.log(rest)
        return logits


SCORES = {
    # p(1) = .2 * .75, p(7) = .2, p(8) = .5, p(10) = .2 * .25; after "8 ": p(1) = .3 * .5, p(3) = .6, p(10) = .15
    "mixed": {"": {"8": 0.5, "7": 0.2, "1": 0.2}, "1": {"0": 0.25}, "8 ": {"3": 0.6, "1": 0.3}, "8 1": {"0": 0.5}},
    # "10" beats "1": p(10) = .72, p(1) = .08; the second line is "10 10"
    "ten": {"": {"1": 0.8}, "1": {"0": 0.9}, "10 ": {"1": 0.7, "9": 0.2}, "10 1": {"0": 1.0}},
    # "1" alone: p(1) = .81, p(10) = .09; then 4 wins
    "one": {"": {"1": 0.9}, "1": {"0": 0.1}, "1 ": {"4": 0.8}},
    "no_score": {"": {"5": 0.03}},
    "no_second": {"": {"6": 0.9}, "6 ": {"2": 0.01}},
}
VERDICTS = {
    # p(1) = .3, p(2) = .1, p(tie) = .05 + .5 * .4 = .25: "T" going on as "The" is no tie
    "first": {"": {"1": 0.3, "2": 0.1, "T": 0.5, "tie": 0.05}, "T": {"ie": 0.4}},
    "tie": {"": {"1": 0.3, "2": 0.1, "T": 0.5, "tie": 0.05}, "T": {"ie": 0.9}},
    "sentence": {"": {"T": 0.9}, "T": {"ie": 0.01}},
}


def prompt(case: str) -> str:
    return f"<|im_start|>user\ncase={case}<|im_end|>\n{ANSWER_START}"


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    return tiny_model[1]


def read(tokenizer, script, cases, output_format, batch_size=8):
    return read_judgments(
        ScriptedModel(tokenizer, script), tokenizer, [prompt(c) for c in cases], output_format, batch_size
    )


def test_expected_scores_verdict_and_confidence_follow_the_probabilities(tokenizer):
    mixed, ten, one = read(tokenizer, SCORES, ["mixed", "ten", "one"], "judgelm")
    assert mixed.raw == "8 3" and mixed.parsed.verdict == FIRST
    assert mixed.parsed.score1 == pytest.approx((0.15 * 1 + 0.2 * 7 + 0.5 * 8 + 0.05 * 10) / 0.9)
    assert mixed.parsed.score2 == pytest.approx((0.15 * 1 + 0.6 * 3 + 0.15 * 10) / 0.9)
    assert mixed.confidence == pytest.approx(0.5 * 0.6)
    assert ten.raw == "10 10" and ten.parsed.verdict == TIE
    assert ten.parsed.score1 == pytest.approx((0.08 * 1 + 0.72 * 10) / 0.8)
    assert ten.parsed.score2 == pytest.approx((0.7 * 10 + 0.2 * 9) / 0.9)
    assert ten.confidence == pytest.approx(0.72 * 0.7)
    assert one.raw == "1 4" and one.parsed.verdict == SECOND
    assert one.parsed.score1 == pytest.approx((0.81 * 1 + 0.09 * 10) / 0.9)
    assert one.confidence == pytest.approx(0.81 * 0.8)


def test_a_score_without_likely_tokens_is_a_failure_not_a_tie(tokenizer):
    first, second = read(tokenizer, SCORES, ["no_score", "no_second"], "judgelm")
    for reading in (first, second):
        assert reading.parsed.failed and reading.parsed.verdict is None and reading.confidence is None
        assert "token is likely" in reading.parsed.failure
    assert "no score token is likely: p = 0.03 < 0.05" in first.parsed.failure and first.raw == "The"
    assert "no second score token is likely" in second.parsed.failure and second.raw == "6 The"


def test_pandalm_verdicts_count_tie_only_when_t_goes_on_as_tie(tokenizer):
    first, tie, sentence = read(tokenizer, VERDICTS, ["first", "tie", "sentence"], "pandalm")
    assert (first.raw, first.parsed.verdict, first.confidence) == ("1", FIRST, pytest.approx(0.3))
    assert (tie.raw, tie.parsed.verdict, tie.confidence) == ("Tie", TIE, pytest.approx(0.5))
    assert sentence.parsed.failed and "no verdict token is likely" in sentence.parsed.failure


def test_batched_reading_equals_one_at_a_time_with_mixed_continuations(tokenizer):
    cases = ["one", "mixed", "no_second", "ten", "no_score", "one"]
    batched = read(tokenizer, SCORES, cases, "judgelm", batch_size=6)
    alone = [read(tokenizer, SCORES, [case], "judgelm", batch_size=1)[0] for case in cases]
    assert batched == alone


def test_the_fed_tokens_are_how_the_tokenizer_writes_the_score_line(tokenizer):
    text = prompt("x")
    assert tokenizer(text + "10 7", add_special_tokens=False)["input_ids"] == tokenizer(text, add_special_tokens=False)[
        "input_ids"
    ] + [tokenizer.convert_tokens_to_ids(t) for t in ("1", "0", "Ġ", "7")]


def test_a_tokenizer_that_merges_the_separator_is_refused():
    spellings = {str(k): [k] for k in range(1, 11)} | {" ": [50]}

    class Merging:
        pad_token_id = 0

        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": spellings.get(text, [60 + len(text)])}

    with pytest.raises(ValueError, match="score, separator, score"):
        read_judgments(None, Merging(), ["x"], "judgelm")


def test_templates_without_a_score_line_are_refused_or_decoded_in_the_format_probe(tiny_model):
    model, tokenizer = tiny_model
    with pytest.raises(ValueError, match="logprob mode reads"):
        HFJudge("tiny", "", template="mtbench_pair", mode="logprob", model=model, tokenizer=tokenizer)
    judge = HFJudge("tiny", "", mode="logprob", model=model, tokenizer=tokenizer)
    assert judge.with_template("mtbench_pair").mode == "score_first", "the format probe decodes what it cannot read"
    assert judge.with_template("pandalm").mode == "logprob"


@pytest.fixture(scope="module")
def items():
    return both_orders(arithmetic_pairs(4))


def lenient(tiny_model, **options) -> HFJudge:
    model, tokenizer = tiny_model
    return HFJudge("tiny", "", mode="logprob", min_score_mass=0.0, model=model, tokenizer=tokenizer, **options)


def test_an_untrained_model_puts_no_mass_on_scores_so_every_judgment_fails(tiny_model, items):
    model, tokenizer = tiny_model
    judgments = HFJudge("tiny", "", mode="logprob", model=model, tokenizer=tokenizer).judge(items)
    assert all(j.failed and j.verdict is None and "no score token is likely" in j.failure for j in judgments)


def test_tiny_model_readings_are_well_formed(tiny_model, items):
    judgments = lenient(tiny_model).judge(items)
    assert [(j.pair_id, j.order) for j in judgments] == [(i.pair.id, i.order) for i in items]
    for j in judgments:
        assert not j.failed and 0 <= j.confidence <= 1
        assert 1 <= j.score1 <= 10 and 1 <= j.score2 <= 10
        s1, s2 = map(int, j.raw.split())
        assert j.verdict == verdict_from_scores(s1, s2)
    pandalm = lenient(tiny_model, template="pandalm").judge(items)
    assert all(j.raw in ("1", "2", "Tie") and 0 <= j.confidence <= 1 for j in pandalm)


def test_tiny_model_batched_equals_one_at_a_time(tiny_model, items):
    batched = lenient(tiny_model, batch_size=8).judge(items)
    alone = lenient(tiny_model, batch_size=1).judge(items)
    for a, b in zip(batched, alone, strict=True):
        assert (a.raw, a.verdict) == (b.raw, b.verdict)
        assert (a.score1, a.score2, a.confidence) == pytest.approx((b.score1, b.score2, b.confidence), rel=1e-4)


def test_prompts_sharing_a_start_run_it_once_and_read_what_they_would_alone(tiny_model, items):
    """Both orders of a pair share the question and reference; pointwise prompts for one question share
    everything up to the answer. Batched with the shared start run once, they read as one at a time."""
    model, tokenizer = tiny_model
    for template in ("judgeops", "pointwise"):
        judge = lenient(tiny_model, template=template, batch_size=8)
        prompts = [judge.prompt(item.shown)[0] for item in items]
        encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        assert any(shared for _, shared in shared_prefix_batches(encoded, 8)), template
        batched = read_judgments(model, tokenizer, prompts, get_template(template).output, batch_size=8, min_mass=0.0)
        alone = read_judgments(model, tokenizer, prompts, get_template(template).output, batch_size=1, min_mass=0.0)
        for a, b in zip(batched, alone, strict=True):
            assert a.raw == b.raw and a.parsed.verdict == b.parsed.verdict
            assert (a.parsed.score1, a.confidence) == pytest.approx((b.parsed.score1, b.confidence), rel=1e-4)


@pytest.fixture(scope="module")
def confident(tiny_model_dir, items):
    """A fresh tiny model taught to answer every item with the score line "10 7" ("10" is two digits
    that a reader must not take for "1"). The embeddings stay frozen: their gradient is most of a
    step's cost."""
    from components.models import load_causal_lm

    model, tokenizer = load_causal_lm(tiny_model_dir)
    judge = HFJudge("tiny", "", model=model, tokenizer=tokenizer)
    teach(model, tokenizer, {judge.prompt(item.shown)[0]: "10 7\n" for item in items}, steps=20)
    return model, tokenizer


def test_score_first_and_logprob_agree_where_the_model_is_confident(confident, items):
    model, tokenizer = confident
    decoded = HFJudge("tiny", "", model=model, tokenizer=tokenizer, max_new_tokens=6).judge(items)
    read_off = HFJudge("tiny", "", mode="logprob", model=model, tokenizer=tokenizer).judge(items)
    assert all(not r.failed and r.confidence > 0.5 for r in read_off), [r.confidence for r in read_off]
    assert (
        [(d.raw, d.verdict) for d in decoded]
        == [(r.raw, r.verdict) for r in read_off]
        == [("10 7", FIRST)] * len(items)
    )
    assert all(r.score1 > 9 and 6 < r.score2 < 8 for r in read_off)


def test_pointwise_reads_one_score_stating_the_likeliest_and_keeping_the_mean(tokenizer):
    mixed, ten, none = read(tokenizer, SCORES, ["mixed", "ten", "no_score"], "pointwise")
    assert (mixed.raw, mixed.stated) == ("8", 8)
    assert mixed.parsed.score1 == pytest.approx((0.15 * 1 + 0.2 * 7 + 0.5 * 8 + 0.05 * 10) / 0.9)
    assert mixed.parsed.score2 is None and mixed.confidence == pytest.approx(0.5)
    assert (ten.raw, ten.stated) == ("10", 10)
    assert none.parsed.failed and "no score token is likely" in none.parsed.failure
