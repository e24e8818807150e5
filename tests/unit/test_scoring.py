"""The scorer behind `judgeops score`: alignment by id, formats, verdict spellings, errors that point
at the bad input; CritiqueLLM's evaluation sets, pairwise (agreement) and pointwise (correlations)."""

import json
import random

import pytest

from components.data.importers.critiquellm import import_critiquellm
from components.io import RecordError, write_json, write_jsonl
from components.judges.parsers import VERDICT_TEXT_FORMATS, parse
from components.metrics import pointwise_correlations
from components.schemas import FIRST, SECOND, TIE, Pair
from components.scoring import (
    UnmatchedIdsError,
    detect_gold_format,
    parse_score,
    parse_verdict,
    render_table,
    score_files,
)
from tests.factories import critiquellm_pairwise_row, critiquellm_pointwise_row


def _pair(pair_id: str, verdict: int, answer1: str, answer2: str, question: str = "q") -> Pair:
    return Pair(
        id=pair_id,
        question_id=question,
        family="test",
        category="c",
        instruction=f"instruction {question}",
        answer1=answer1,
        answer2=answer2,
        source1="m1",
        source2="m2",
        verdict=verdict,
    )


@pytest.fixture
def gold_path(tmp_path):
    """Six canonical pairs; p5 holds p4's answers in swapped order."""
    pairs = [
        _pair("p0", 1, "a", "b", "q0"),
        _pair("p1", 2, "c", "d", "q0"),
        _pair("p2", 0, "e", "f", "q1"),
        _pair("p3", 1, "g", "h", "q1"),
        _pair("p4", 2, "x", "y", "q2"),
        _pair("p5", 1, "y", "x", "q2"),
    ]
    path = tmp_path / "gold.jsonl"
    write_jsonl(path, pairs)
    return path


def _predictions(tmp_path, verdicts: dict, name="pred.jsonl", as_array=False, shuffle=True, field="verdict"):
    rows = [{"id": key, field: value} for key, value in verdicts.items()]
    if shuffle:
        random.Random(0).shuffle(rows)
    path = tmp_path / name
    if as_array:
        write_json(path, rows)
    else:
        write_jsonl(path, rows)
    return path


GOLD_VERDICTS = {"p0": 1, "p1": 2, "p2": 0, "p3": 1, "p4": 2, "p5": 1}


@pytest.mark.parametrize("as_array", [False, True])
def test_shuffled_predictions_are_aligned_by_id(tmp_path, gold_path, as_array):
    pred = _predictions(tmp_path, GOLD_VERDICTS, as_array=as_array)
    m = score_files(gold_path, pred, n_resamples=0)
    assert m["gold_format"] == "canonical"
    assert (m["n"], m["accuracy"], m["f1_macro"], m["parse_failures"]) == (6, 1.0, 1.0, 0)
    assert (m["swap_pairs"], m["swap_consistency"]) == (1, 1.0)
    assert "ci" not in m


def test_mixed_spellings_and_failures(tmp_path, gold_path):
    verdicts = {
        "p0": "1",
        "p1": "8, 9\nAssistant 2 is better",
        "p2": "Tie",
        "p3": "garbage",
        "p4": 2,
        "p5": None,
    }
    m = score_files(gold_path, _predictions(tmp_path, verdicts), n_resamples=0)
    assert m["parse_failures"] == 2
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion_failures"] == [0, 2, 0]
    assert (m["swap_consistency"], m["swap_failures"]) == (0.0, 1)
    as_tie = score_files(gold_path, _predictions(tmp_path, verdicts), failures="tie", n_resamples=0)
    assert as_tie["accuracy"] == pytest.approx(4 / 6) and as_tie["confusion"][1][0] == 2


def test_every_key_the_cli_reports(tmp_path, gold_path):
    m = score_files(gold_path, _predictions(tmp_path, GOLD_VERDICTS), n_resamples=50)
    keys = {"n", "accuracy", "precision_macro", "recall_macro", "f1_macro", "cohen_kappa", "parse_failures"}
    assert keys | {"swap_pairs", "swap_consistency"} <= set(m)
    assert m["ci"]["accuracy"]["value"] == 1.0
    table = render_table(m)
    assert "accuracy" in table and "swap_consistency" in table and "pred tie" in table
    json.dumps(m)  # the --json output must serialise


def test_missing_and_unknown_ids_are_listed(tmp_path, gold_path):
    many = {f"p{i}": 1 for i in range(6)} | {f"extra{i}": 1 for i in range(25)}
    with pytest.raises(UnmatchedIdsError) as caught:
        score_files(gold_path, _predictions(tmp_path, many, shuffle=False), n_resamples=0)
    message = str(caught.value)
    assert "25 prediction ids" in message and "extra0" in message and "(5 more)" in message
    assert len(caught.value.unknown) == 25 and caught.value.missing == []

    partial = {key: value for key, value in GOLD_VERDICTS.items() if key not in ("p2", "p4")}
    with pytest.raises(ValueError, match=r"2 gold ids .* p2, p4"):
        score_files(gold_path, _predictions(tmp_path, partial), n_resamples=0)


def test_judgelm_gold_and_score_lines(tmp_path):
    gold_rows = [
        {"question_id": 0, "score": [8, 6], "question_body": "Q0", "answer1_body": "A", "answer2_body": "B"},
        {"question_id": 1, "score": [3, 9], "question_body": "Q0", "answer1_body": "B", "answer2_body": "A"},
        {"question_id": 2, "score": [7, 7], "question_body": "Q2", "answer1_body": "C", "answer2_body": "D"},
    ]
    gold = tmp_path / "judgelm.jsonl"
    write_jsonl(gold, gold_rows)
    assert detect_gold_format(gold) == "judgelm"
    preds = [
        {"question_id": 2, "pred_text": "5 5\nequal"},
        {"question_id": 0, "pred_text": "9, 2\nAssistant 1 is better"},
        {"question_id": 1, "pred_text": "-1 -1"},
    ]
    pred = tmp_path / "judgelm_pred.jsonl"
    write_jsonl(pred, preds)
    m = score_files(gold, pred, verdict_field="pred_text", n_resamples=0)
    assert (m["gold_format"], m["n"], m["parse_failures"]) == ("judgelm", 3, 1)
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert (m["swap_pairs"], m["swap_consistency"]) == (1, 0.0)


def _pandalm_row(idx, cmp_key, context, responses, labels):
    return {
        "idx": idx, "motivation_app": "A", "cmp_key": cmp_key, "instruction": context[0], "input": context[1],
        "response1": responses[0], "response2": responses[1],
        "annotator1": labels[0], "annotator2": labels[1], "annotator3": labels[2],
    }  # fmt: skip


def test_pandalm_gold_keeps_annotators(tmp_path):
    rows = [
        _pandalm_row(0, "m1_m2", ("i", ""), ("x", "y"), ("1", 1, 2)),
        _pandalm_row(1, "m2_m1", ("i", ""), ("y", "x"), (2, 2, 2)),
        _pandalm_row(2, "m1_m3", ("j", "k"), (True, "z"), (0, 0, 1)),
    ]
    gold = tmp_path / "testset.json"
    write_json(gold, rows)
    pred = tmp_path / "pred.json"
    write_json(
        pred,
        [{"idx": 2, "pandalm_result": 0}, {"idx": 0, "pandalm_result": 1}, {"idx": 1, "pandalm_result": 1}],
    )
    m = score_files(gold, pred, n_resamples=0)
    assert m["gold_format"] == "pandalm"
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert {"kappa_a1_a2", "kappa_a1_a3", "kappa_a2_a3", "fleiss_kappa"} <= set(m)
    assert (m["swap_pairs"], m["swap_consistency"], m["swap_prefer_first"]) == (1, 0.0, 1.0)


def test_both_orders_give_order_consistency(tmp_path, gold_path):
    rows = [{"pair_id": key, "order": "original", "verdict": value} for key, value in GOLD_VERDICTS.items()]
    rows += [
        {"pair_id": "p0", "order": "swapped", "verdict": 2},
        {"pair_id": "p1", "order": "swapped", "verdict": 2},
    ]
    pred = tmp_path / "judgments.jsonl"
    write_jsonl(pred, rows)
    m = score_files(gold_path, pred, n_resamples=0)
    assert m["accuracy"] == 1.0
    assert (m["order_n"], m["order_consistency"], m["order_prefer_second"]) == (2, 0.5, 0.5)


def test_bad_input_names_file_line_and_field(tmp_path, gold_path):
    pred = tmp_path / "broken.jsonl"
    pred.write_text('{"id": "p0", "verdict": 1}\n{"id": "p1", "verdict": \n')
    with pytest.raises(RecordError, match=r"broken.jsonl:2: field '<json>'"):
        score_files(gold_path, pred, n_resamples=0)
    pred.write_text('{"id": "p0", "verdict": 1}\n{"id": "p0", "verdict": 2}\n')
    with pytest.raises(RecordError, match=r"broken.jsonl:2: field 'id': duplicate id 'p0'"):
        score_files(gold_path, pred, n_resamples=0)
    pred.write_text('{"id": "p0", "verdict": 1}\n{"id": "p1"}\n')
    with pytest.raises(RecordError, match=r"broken.jsonl:2: field 'verdict': missing"):
        score_files(gold_path, pred, n_resamples=0)
    pred.write_text('{"name": "p0", "answer": 1}\n')
    with pytest.raises(RecordError, match="--id-field"):
        score_files(gold_path, pred, n_resamples=0)


def test_custom_field_names(tmp_path, gold_path):
    rows = [{"key": key, "label": value} for key, value in GOLD_VERDICTS.items()]
    pred = tmp_path / "custom.jsonl"
    write_jsonl(pred, rows)
    m = score_files(gold_path, pred, id_field="key", verdict_field="label", n_resamples=0)
    assert m["accuracy"] == 1.0


def test_gold_pair_without_verdict_is_an_error(tmp_path):
    gold = tmp_path / "gold.jsonl"
    write_jsonl(gold, [_pair("p0", 1, "a", "b"), _pair("p1", 1, "c", "d").model_copy(update={"verdict": None})])
    with pytest.raises(RecordError, match=r"gold.jsonl:2: field 'verdict'"):
        score_files(gold, _predictions(tmp_path, {"p0": 1, "p1": 1}), n_resamples=0)


# text, its verdict, and the judge output format that reads it (None: every judge fails it)
ONE_RULE = [
    ("1", FIRST, "pandalm"),
    ("2", SECOND, "pandalm"),
    ("Tie", TIE, "pandalm"),
    ("tie", TIE, "pandalm"),
    ("Tie.", TIE, "pandalm"),
    ("1\n### Reason: Response 1 is better", FIRST, "pandalm"),
    ("Tie\n### Reason: both", TIE, "pandalm"),
    ("0", None, None),
    ("Tie, both are fine", None, None),
    ("7 7", TIE, "judgelm"),
    ("8 6", FIRST, "judgelm"),
    ("3 7", SECOND, "judgelm"),
    ("7.5 7", FIRST, "judgelm"),
    ("10 1", FIRST, "judgelm"),
    ("8, 6\nAssistant 1 was more helpful", FIRST, "judgelm"),
    ("**8 7**", FIRST, "judgelm"),
    ("0 0", None, None),
    ("15 3", None, None),
    ("10.5 3", None, None),
    ("-1 -1", None, None),
    ("nan 3", None, None),
    ("8 6 4", None, None),
    ("garbage", None, None),
    ("Response 1 is better", None, None),
    ("", None, None),
]


@pytest.mark.parametrize("text, verdict, read_by", ONE_RULE)
def test_the_scorer_reads_a_verdict_as_the_judges_do(text, verdict, read_by):
    """One rule: ``judgeops score`` gives a string the verdict the judge stage's parser gives it, and
    fails it exactly where every judge format fails it (out-of-scale scores, "0", labels)."""
    judged = {fmt: parse(fmt, text).verdict for fmt in VERDICT_TEXT_FORMATS}
    assert judged == {fmt: verdict if fmt == read_by else None for fmt in VERDICT_TEXT_FORMATS}
    assert parse_verdict(text) == verdict


@pytest.mark.parametrize(
    "value, expected",
    [(0, TIE), (1, FIRST), (2, SECOND), (1.0, FIRST), (3, None), (1.5, None), (-1, None)]
    + [([9, 4], FIRST), ([7, 7], TIE), ([0, 0], None), ([15, 3], None), ([-1, -1], None), (["8", "6"], None)]
    + [([8, 6, 4], None), (None, None), (True, None), ({"verdict": 1}, None)],
)
def test_json_values_are_verdict_codes_or_score_pairs_on_the_same_scale(value, expected):
    """A JSON number is a verdict code (0 tie, as our Judgment records and PandaLM's annotators write it);
    a pair of numbers is two scores, held to the score line's 1-10 range."""
    assert parse_verdict(value) == expected


@pytest.mark.parametrize(
    "bad_row, field",
    [
        (_pandalm_row(1, "m1_m2", ("i", ""), ("x", "y"), (1, "3", 1)), "annotator2"),
        (_pandalm_row(1, "m1-m2", ("i", ""), ("x", "y"), (1, 1, 1)), "cmp_key"),
        (_pandalm_row(0, "m1_m2", ("i", ""), ("x", "y"), (1, 1, 1)), "idx"),
        (_pandalm_row(1, "m1_m2", ("i", ""), (7, "y"), (1, 1, 1)), "response1"),
    ],
)
def test_bad_pandalm_gold_names_element_and_field(tmp_path, bad_row, field):
    gold = tmp_path / "testset.json"
    write_json(gold, [_pandalm_row(0, "m1_m2", ("i", ""), ("a", "b"), (1, 1, 1)), bad_row])
    with pytest.raises(RecordError, match=rf"testset.json:2: field '{field}'"):
        score_files(gold, _predictions(tmp_path, {"0": 1, "1": 1}), n_resamples=0)


def test_pandalm_empty_response_is_flagged_not_dropped(tmp_path):
    gold = tmp_path / "testset.json"
    write_json(gold, [_pandalm_row(0, "m1_m2", ("i", ""), ("", "b"), (2, 2, 1))])
    m = score_files(gold, _predictions(tmp_path, {"0": 2}), n_resamples=0)
    assert (m["n"], m["accuracy"]) == (1, 1.0)


def _released(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_critiquellm_pairwise_gold_agreement_with_the_human_label(tmp_path):
    rows = [
        critiquellm_pairwise_row(0, 5, 2, 0),
        critiquellm_pairwise_row(1, 1, 4, 1),
        critiquellm_pairwise_row(2, "2.0", "3.0", 1, reference=False),
        critiquellm_pairwise_row(3, 4, 1, 0),
    ]
    gold = _released(tmp_path / "pairwise_reference_based.jsonl", rows)
    assert detect_gold_format(gold) == "critiquellm"
    judge = [{"id": 0, "verdict": 1}, {"id": 1, "verdict": 2}, {"id": 2, "verdict": "Tie"}, {"id": 3, "verdict": 2}]
    judge += [  # the same pairs shown the other way round: CritiqueLLM counts a pair only when both orders agree
        {"id": 0, "order": "swapped", "verdict": 2},
        {"id": 1, "order": "swapped", "verdict": 2},
        {"id": 2, "order": "swapped", "verdict": 1},
        {"id": 3, "order": "swapped", "verdict": 2},
    ]
    write_jsonl(tmp_path / "pred.jsonl", judge)
    m = score_files(gold, tmp_path / "pred.jsonl", n_resamples=0)
    assert (m["gold_format"], m["n"], m["accuracy"]) == ("critiquellm", 4, 0.5)
    assert m["agreement_both_orders"] == 0.25, "only pair 0 agrees with the label in both orders"
    assert "agreement_both_orders" in render_table(m)


POINTWISE = [  # (question, model, human 1-5, the judge's 1-10 output)
    ("甲", "m1", 1, "2"),
    ("甲", "m2", 3, 6),
    ("甲", "m3", 5, 10.0),
    ("乙", "m1", 2, 5),  # the humans gave question 乙 one score: no text-level correlation
    ("乙", "m2", 2, 7),
    ("乙", "m3", 2, 3),
    ("丙", "m1", 4, "8\n回答正确。"),
    ("丙", "m2", 1, "{'事实正确性': 3, '综合得分': 2}"),
    ("丙", "m3", 3, "综合得分：7"),
    ("丁", "m1", 3, "我无法评分"),  # a parse failure: counted, left out
]


def _pointwise_files(tmp_path, judge=lambda human, output: output):
    rows = [critiquellm_pointwise_row(i, model, human, question=q) for i, (q, model, human, _) in enumerate(POINTWISE)]
    gold = _released(tmp_path / "pointwise_reference_based.jsonl", rows)
    pred = [{"id": i, "output": judge(human, output)} for i, (_, _, human, output) in enumerate(POINTWISE)]
    write_jsonl(tmp_path / "pred.jsonl", pred[::-1])
    return gold, tmp_path / "pred.jsonl"


def test_critiquellm_pointwise_gold_correlations_at_three_levels(tmp_path):
    gold, pred = _pointwise_files(tmp_path)
    assert detect_gold_format(gold) == "critiquellm"
    m = score_files(gold, pred)
    read = [2, 6, 10, 5, 7, 3, 8, 2, 7]
    expected = pointwise_correlations(
        [(q, model, judge, human) for (q, model, human, _), judge in zip(POINTWISE, read, strict=False)]
    )
    assert (m["mode"], m["n"], m["parse_failures"], m["failed_ids"]) == ("pointwise", 10, 1, ["9"])
    assert (m["gold_scale"], m["judge_score_range"]) == ("1-5", [2.0, 10.0])
    assert (m["sample"], m["text"], m["system"]) == (expected["sample"], expected["text"], expected["system"])
    assert (m["text"]["n_questions"], m["text"]["n_used"], m["text"]["n_skipped_constant"]) == (3, 2, 1)
    assert m["system"]["n_sources"] == 3 and m["sample"]["n"] == 9
    table = render_table(m)
    assert "2 of 3 questions (1 constant, skipped)" in table and "scale-free" in table
    json.dumps(m)

    imported = tmp_path / "scored.jsonl"
    write_jsonl(imported, import_critiquellm(gold).scored)
    assert detect_gold_format(imported) == "scored"
    assert {**score_files(imported, pred), "gold_format": "critiquellm"} == m


def test_pointwise_correlations_ignore_the_judges_scale(tmp_path):
    """A 1-10 judge that is a linear rescaling of the 1-5 humans correlates perfectly: nothing is rescaled."""
    gold, pred = _pointwise_files(tmp_path, judge=lambda human, _: 2 * human - 1)
    m = score_files(gold, pred)
    assert m["parse_failures"] == 0 and m["judge_score_range"] == [1.0, 9.0]
    assert (m["sample"]["pearson"], m["sample"]["spearman"], m["sample"]["kendall"]) == pytest.approx((1, 1, 1))
    assert (m["text"]["pearson"], m["system"]["pearson"]) == pytest.approx((1, 1))


def test_pointwise_predictions_are_aligned_by_id_and_named_when_wrong(tmp_path):
    gold, pred = _pointwise_files(tmp_path)
    write_jsonl(pred, [{"id": i, "score": 5} for i in range(1, 11)])
    with pytest.raises(UnmatchedIdsError, match=r"1 gold ids .* no prediction .*: 0; 1 prediction ids .*: 10"):
        score_files(gold, pred)
    write_jsonl(pred, [{"id": i, "score": "?"} for i in range(10)])
    with pytest.raises(ValueError, match="none of the 10 predictions has a readable score"):
        score_files(gold, pred)
    write_jsonl(pred, [{"id": i, "rating": 5} for i in range(10)])
    with pytest.raises(RecordError, match="--score-field"):
        score_files(gold, pred)
    assert score_files(gold, pred, score_field="rating")["parse_failures"] == 0


@pytest.mark.parametrize(
    "value, expected",
    [(7, 7.0), (4.5, 4.5), (85, 85.0), ("4.0", 4.0), (" 8 ", 8.0), ("8\nreason", 8.0), ("'综合得分': 6", 6.0)]
    + [("综合得分：9", 9.0), (True, None), (None, None), ("", None), ("NaN", None), ("8 9", None)]
    + [("综合得分: 3 ... 综合得分: 4", None), ("0", None), ("85", None), ("综合得分: 15", None)],
)
def test_parse_score(value, expected):
    """JSON numbers keep any scale; text is read as the pointwise judges' output is, on their 1-10 scale."""
    assert parse_score(value) == expected


@pytest.mark.parametrize("text", ["7", "7.5\nreason", "0", "11", "7 8", "**4**", ""])
def test_a_text_score_reads_as_the_pointwise_judge_reads_it(text):
    assert parse_score(text) == parse("pointwise", text).score1


def test_a_raw_judgelm_file_scores_against_the_gold_its_import_keeps(tmp_path):
    """One rule for a JudgeLM record's gold: the label made with the reference where there is one. Here the
    two labels disagree on every row, so a scorer reading `score` would count every import-consistent
    prediction wrong."""
    from components.data.importers.judgelm import import_judgelm

    rows = [
        {
            "question_id": i,
            "question_body": f"Q{i}",
            "answer1_body": "A",
            "answer2_body": "B",
            "score": [8, 3],
            "text": "8 3\nwithout the reference",
            "score_w_reference": [2, 9],
            "text_w_reference": "2 9\nwith the reference",
        }
        for i in range(3)
    ]
    gold = tmp_path / "judgelm.jsonl"
    write_jsonl(gold, rows)
    imported = {pair.id: pair.verdict for pair in import_judgelm(gold).pairs}
    assert set(imported.values()) == {SECOND}
    pred = tmp_path / "pred.jsonl"
    write_jsonl(pred, [{"question_id": i, "verdict": imported[str(i)]} for i in range(3)])
    assert score_files(gold, pred, n_resamples=0)["accuracy"] == 1.0
