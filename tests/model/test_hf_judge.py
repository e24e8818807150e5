"""The hf backend on a tiny random Llama: one judgment per item, failures explicit, resumable."""

import pytest

from components.judges.base import JudgeItem, both_orders
from components.judges.cache import judge_cached
from components.judges.hf import HFJudge, truncate_answers
from tests.factories import arithmetic_pairs, make_pair

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def judge(tiny_model, tiny_model_dir):
    """Loaded already; the folder is what keys its cached judgments."""
    model, tokenizer = tiny_model
    return HFJudge("tiny", tiny_model_dir, model=model, tokenizer=tokenizer, max_new_tokens=6, batch_size=4)


def test_every_item_gets_one_judgment_in_order_and_unparseable_output_is_a_failure(judge):
    items = both_orders(arithmetic_pairs(5))
    judgments = judge.judge(items)
    assert [(j.pair_id, j.order) for j in judgments] == [(i.pair.id, i.order) for i in items]
    for j in judgments:
        assert j.failed == (j.verdict is None)
        if j.failed:
            assert j.failure and j.verdict is None, "a failure is never a tie"


def test_batched_judging_matches_one_at_a_time(judge, tiny_model):
    model, tokenizer = tiny_model
    single = HFJudge("tiny", "", model=model, tokenizer=tokenizer, max_new_tokens=6, batch_size=1)
    items = both_orders(arithmetic_pairs(3))
    assert [j.raw for j in judge.judge(items)] == [j.raw for j in single.judge(items)]


def test_the_swapped_order_shows_the_answers_the_other_way_round(judge):
    pair = make_pair(answer1="FIRST ANSWER", answer2="SECOND ANSWER")
    original, swapped = judge.prompt(pair)[0], judge.prompt(JudgeItem(pair, "swapped").shown)[0]
    assert original.index("FIRST ANSWER") < original.index("SECOND ANSWER")
    assert swapped.index("SECOND ANSWER") < swapped.index("FIRST ANSWER")


def test_long_answers_are_cut_in_the_middle_keeping_the_score_request(tiny_model):
    model, tokenizer = tiny_model
    short = HFJudge("tiny", "", model=model, tokenizer=tokenizer, max_prompt_tokens=120)
    long_pair = make_pair(answer1="start " + "filler " * 300 + "finish", answer2="begin " + "more " * 200 + "end")
    text, cut = short.prompt(long_pair)
    assert cut
    assert len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= 120
    assert "start" in text and "finish" in text and "[...]" in text
    assert "Score both answers" in text
    shortened, emptied = truncate_answers(long_pair, tokenizer, 400)
    assert not emptied
    assert len(shortened.answer1) < len(long_pair.answer1)


def test_a_killed_run_resumes_without_rejudging_or_duplicates(judge, tmp_path):
    cache = tmp_path / "cache.jsonl"
    items = both_orders(arithmetic_pairs(6))
    first, reused = judge_cached(judge, items[:5], cache)
    assert reused == 0
    with open(cache, "a") as handle:  # a crash mid-append leaves a torn line
        handle.write('{"key": "torn')

    calls = []
    real = judge.judge

    def counting(batch):
        calls.append(len(batch))
        return real(batch)

    judge.judge = counting
    try:
        everything, reused = judge_cached(judge, items, cache)
    finally:
        del judge.judge
    assert reused == 5 and calls == [7]
    assert everything[:5] == first
    assert any(judgment.failed for judgment in first), "an untrained model fails to parse (the next line's case)"
    # greedy local decoding fails the same way every time: its failures are reused, not judged again
    assert len(cache.read_text().splitlines()) == 12


@pytest.mark.parametrize("mode", ["logprob", "score_first"])
def test_a_pointwise_judge_grades_each_answer_once_and_mirrors_by_construction(tiny_model, mode, monkeypatch):
    model, tokenizer = tiny_model
    judge = HFJudge(
        "tiny",
        "",
        template="pointwise",
        mode=mode,
        model=model,
        tokenizer=tokenizer,
        max_new_tokens=4,
        min_score_mass=0,
    )
    pairs = arithmetic_pairs(4)
    read = []
    original_read = judge._read
    monkeypatch.setattr(judge, "_read", lambda prompts: read.extend(prompts) or original_read(prompts))
    judgments = judge.judge(both_orders(pairs))
    assert len(read) == len(set(read)) == len({(p.question_id, a) for p in pairs for a in (p.answer1, p.answer2)})
    by_order = {(j.pair_id, j.order): j for j in judgments}
    for pair in pairs:
        original, swapped = by_order[(pair.id, "original")], by_order[(pair.id, "swapped")]
        assert original.failed == swapped.failed
        if not original.failed:
            assert (original.score1, original.score2) == (swapped.score2, swapped.score1)
            assert {original.verdict, swapped.verdict} in ({0}, {1, 2})
        else:
            assert original.failure.startswith(("answer 1:", "answer 2:")) and original.verdict is None


@pytest.mark.parametrize("template", ["judgeops", "pointwise"])
def test_a_prompt_that_cannot_show_the_answers_is_a_failure_not_a_judgment(tiny_model, template):
    """The instruction and reference alone exceed max_prompt_tokens: both answers would be cut to ' [...] ' and
    the judge would compare two identical stubs. That is a counted failure, and the model never reads it."""
    model, tokenizer = tiny_model
    judge = HFJudge("tiny", "", template=template, model=model, tokenizer=tokenizer, max_prompt_tokens=100)
    wordy = make_pair(id="wordy", instruction="Explain " + "this and that " * 60, reference="4")
    fits = make_pair(id="fits", instruction="What is 2 + 2?")
    read = []
    real = judge._read
    judge._read = lambda prompts: read.extend(prompts) or real(prompts)
    judgments = judge.judge(both_orders([wordy, fits]))
    too_long = [j for j in judgments if j.pair_id == "wordy"]
    assert len(too_long) == 2 and all(j.failed and j.failure == "prompt too long" for j in too_long)
    assert all(j.verdict is None for j in too_long), "a failure is never a tie"
    assert not any(j.failure == "prompt too long" for j in judgments if j.pair_id == "fits")
    assert read and not any("this and that" in prompt for prompt in read)


def test_a_short_answer_is_kept_whole_when_cutting_the_long_one_suffices(tiny_model):
    model, tokenizer = tiny_model
    judge = HFJudge("tiny", "", model=model, tokenizer=tokenizer, max_prompt_tokens=120)
    text, cut = judge.prompt(make_pair(answer1="start " + "filler " * 300 + "finish", answer2="4"))
    assert cut and "[Answer 2]\n4\n" in text
    assert len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= 120
