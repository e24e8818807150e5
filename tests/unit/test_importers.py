"""Importers: each documented format on a small fixture written from its fields, MT-Bench on the real
files, and bad input (malformed JSON, missing fields, wrong types, empty strings, duplicate ids) named
by file:line:field -- raised, or with on_error="skip" kept in the rejects while the rest goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.data.importers import NO_REFERENCE, answers_from_pairs, import_any, questions_from_pairs
from components.data.importers.alignbench import import_alignbench
from components.data.importers.critiquellm import import_critiquellm
from components.data.importers.hf import import_hf
from components.data.importers.jsonl import import_jsonl
from components.data.importers.judgelm import import_judgelm
from components.data.importers.mt_bench import KNOWN_WRONG, import_mt_bench
from components.data.importers.pandalm import import_pandalm
from components.io import InputError, RecordError, read_records, write_jsonl
from components.schemas import FIRST, SECOND, TIE, Question, ScoredAnswer
from tests.factories import (
    CRITIQUELLM_QUESTIONS,
    alignbench_release_row,
    arithmetic_pairs,
    critiquellm_pairwise_row,
    critiquellm_pointwise_row,
)


def write_lines(path: Path, rows: list) -> Path:
    """One line per row: dicts as JSON, strings as they are (to write malformed lines)."""
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def judgelm_row(question_id: int, answer1: str = "4", answer2: str = "5", **changes) -> dict:
    row = {
        "question_id": question_id,
        "question_body": "What is 2 + 2?",
        "answer1_body": answer1,
        "answer2_body": answer2,
        "answer1_model_id": "alpaca",
        "answer2_model_id": "vicuna",
        "reference": {"text": "4"},
        "score": [8, 3],
        "text": "8 3\nAssistant 1 is right, Assistant 2 is not.",
        "score_w_reference": [10, 2],
        "text_w_reference": "10 2\nAssistant 1 gives the reference's 4.",
    }
    return {**row, **changes}


def test_judgelm_keeps_both_labels_and_flags_twins(tmp_path):
    path = write_lines(
        tmp_path / "judgelm.jsonl",
        [
            judgelm_row(0),
            judgelm_row(
                1,
                "5",
                "4",
                reference="4",
                score=[3, 3],
                text="3 3\nBoth are short.",
                score_w_reference=None,
                text_w_reference=None,
            ),
            judgelm_row(
                2,
                "5",
                "4",
                score=[3, 8],
                text="3, 8\nAssistant 2 is right.",
                score_w_reference=[2, 10],
                text_w_reference="2 10\nAssistant 2 gives 4.",
            ),
        ],
    )
    result = import_judgelm(path)
    first, no_reference, twin = result.pairs
    assert (first.id, first.score1, first.score2, first.verdict) == ("0", 10, 2, FIRST)
    assert first.reason == "Assistant 1 gives the reference's 4." and first.reference == "4"
    assert first.reason_no_reference == "Assistant 1 is right, Assistant 2 is not."
    assert (first.score1_no_reference, first.score2_no_reference) == (8, 3) and (first.source1, first.source2) == (
        "alpaca",
        "vicuna",
    )
    assert (no_reference.verdict, no_reference.reason, no_reference.reason_no_reference) == (TIE, "Both are short.", "")
    assert twin.verdict == SECOND and "swapped_twin:0" in twin.flags and "swapped_twin:2" in first.flags
    assert first.question_id == twin.question_id and not result.rejects


JUDGELM_BAD = [
    "{not json",
    {k: v for k, v in judgelm_row(11).items() if k != "answer2_body"},
    judgelm_row(12, score="8 3"),
    judgelm_row(13, question_body="   "),
    judgelm_row(0),
    judgelm_row(14, text="error"),
    judgelm_row(15, score=[-1, -1]),
    judgelm_row(16, text="7 3\nThe score line disagrees."),
    judgelm_row(17, answer1_body=True),
]
JUDGELM_FIELDS = [
    "<json>",
    "answer2_body",
    "score",
    "question_body",
    "question_id",
    "text",
    "score",
    "text",
    "answer1_body",
]


def test_judgelm_bad_rows_raise_naming_file_line_and_field(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [judgelm_row(0), *JUDGELM_BAD])
    with pytest.raises(RecordError) as error:
        import_judgelm(path)
    assert str(error.value).startswith(f"{path}:2: field '<json>': not valid JSON")
    for line, (row, field) in enumerate(zip(JUDGELM_BAD[1:], JUDGELM_FIELDS[1:], strict=True), start=3):
        one = write_lines(tmp_path / f"one{line}.jsonl", [judgelm_row(0), row])
        with pytest.raises(RecordError) as error:
            import_judgelm(one)
        assert (error.value.line, error.value.field) == (2, field), error.value


def test_judgelm_skip_keeps_every_bad_row_in_the_rejects(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [judgelm_row(0), *JUDGELM_BAD, judgelm_row(99)])
    result = import_judgelm(path, on_error="skip")
    assert [p.id for p in result.pairs] == ["0", "99"]
    assert [(r["line"], r["field"]) for r in result.rejects] == list(zip(range(2, 11), JUDGELM_FIELDS, strict=True))
    assert all(r["file"] == str(path) and r["reason"] for r in result.rejects)
    reasons = {r["field"] + ":" + r["reason"] for r in result.rejects}
    assert "question_id:duplicate id '0' (first at line 1)" in reasons
    assert "text:'error': the teacher failed on this row; it is not a label" in reasons
    assert "question_body:empty" in reasons and result.rejects[1]["record"]["question_id"] == 11


def test_mt_bench_questions_with_gpt4_references_and_the_known_wrong_ones_flagged(shared_data):
    result = import_mt_bench(shared_data / "mt_bench")
    questions = {q.check["question_id"]: q for q in result.questions}
    assert len(questions) == 80 and not result.rejects
    sources = [q.check["reference_source"] for q in questions.values()]
    assert (sources.count("gpt-4"), sources.count("inline"), sources.count("none")) == (30, 9, 41)
    assert {q.category for q in questions.values() if q.needs_knowledge} == {"math", "reasoning", "coding"}
    assert sum(q.needs_knowledge for q in questions.values()) == 30
    wrong = {qid for qid, q in questions.items() if q.check["reference_known_wrong"]}
    assert wrong == KNOWN_WRONG and len(wrong) == 13
    assert sum("known to be wrong" in w for w in result.warnings) == 13
    q101 = questions[101]
    assert q101.id == "mtbench-101" and q101.family == "mt_bench" and len(q101.check["turns"]) == 2
    assert q101.reference.startswith("If you have just overtaken the second person")
    assert questions[81].reference == NO_REFERENCE and questions[81].check["reference_turns"] == []
    assert questions[133].reference == NO_REFERENCE and questions[133].check["reference_turns"][1].strip()
    assert questions[131].check["reference_source"] == "inline" and questions[131].check["reference_turns"][1] == ""


def test_mt_bench_bad_rows(tmp_path):
    rows = [
        {"question_id": 1, "category": "math", "turns": ["What is 1 + 1?", "And 2 + 2?"], "reference": ["2", "4"]},
        {"question_id": 2, "category": "writing", "turns": "Write a poem."},
        {"question_id": 3, "turns": ["Hi"]},
        {"question_id": 1, "category": "math", "turns": ["Again?"]},
        {"question_id": "4", "category": "math", "turns": ["Q"]},
        {"question_id": 5, "category": "math", "turns": ["Q", ""]},
    ]
    write_lines(tmp_path / "question.jsonl", rows)
    with pytest.raises(RecordError, match=r"question.jsonl:2: field 'turns'"):
        import_mt_bench(tmp_path)
    result = import_mt_bench(tmp_path / "question.jsonl", on_error="skip")
    assert [q.id for q in result.questions] == ["mtbench-1"] and result.questions[0].reference == "2"
    assert [(r["line"], r["field"]) for r in result.rejects] == [
        (2, "turns"),
        (3, "category"),
        (4, "question_id"),
        (5, "question_id"),
        (6, "turns.1"),
    ]
    assert any("no GPT-4 reference file" in w for w in result.warnings)


def alignbench_row(question_id: int, model: str, score: float, **changes) -> dict:
    row = {
        "question_id": question_id,
        "category": "数学计算",
        "subcategory": "初等数学",
        "question": f"Question {question_id}: what is 2 + 2?",
        "reference": "4",
        "model_id": model,
        "answer": f"{model} says {int(score)}",
        "judgment": f"{model}'s answer, compared with the reference ...",
        "rating": {"综合得分": score},
        "score": score,
    }
    return {**row, **changes}


def test_alignbench_pairs_every_two_answers_to_a_question(tmp_path):
    rows = [
        alignbench_row(1, "m1", 8),
        alignbench_row(1, "m2", 3),
        alignbench_row(1, "m3", 8),
        alignbench_row(2, "m1", 5),
        alignbench_row(1, "m4", -1),
        alignbench_row(1, "m2", 4),
        alignbench_row(3, "m1", 5, answer=None),
        alignbench_row(3, "m2", 11),
        alignbench_row(1, "m5", 6, question="another question"),
    ]
    path = write_lines(tmp_path / "alignbench.jsonl", rows)
    with pytest.raises(RecordError, match=r":5: field 'score': -1: the judge failed"):
        import_alignbench(path)
    result = import_alignbench(path, on_error="skip")
    assert [(p.source1, p.source2, p.verdict) for p in result.pairs] == [
        ("m1", "m2", FIRST),
        ("m1", "m3", TIE),
        ("m2", "m3", SECOND),
    ]
    pair = result.pairs[0]
    assert (pair.score1, pair.score2, pair.reference, pair.question_id) == (8, 3, "4", "alignbench-1")
    assert pair.reason.startswith("Assistant 1: m1's answer") and "\n\nAssistant 2: m2's answer" in pair.reason
    assert [(r["line"], r["field"]) for r in result.rejects] == [
        (5, "score"),
        (6, "model_id"),
        (7, "answer"),
        (8, "score"),
        (9, "question"),
    ]
    assert any("question alignbench-2 has one scored answer" in w for w in result.warnings)
    assert [q.id for q in result.questions] == ["alignbench-1", "alignbench-2"], "question 3 had no usable row"


def write_released(path: Path, rows: list) -> Path:
    """Rows as the seed systems publish them: UTF-8 JSON lines with the Chinese unescaped."""
    text = "".join((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("reference", [True, False], ids=["reference-based", "reference-free"])
def test_critiquellm_pairwise_labels_become_verdicts_on_the_human_scale(tmp_path, reference):
    rows = [
        critiquellm_pairwise_row(0, 5, 2, 0, reference),
        critiquellm_pairwise_row(1, 1, 4, 1, reference),
        critiquellm_pairwise_row(2, 2.0, 3.0, 1, reference),  # floats, as in the released files
        critiquellm_pairwise_row(3, "4.0", "1", 0, reference),  # numbers written as strings
    ]
    result = import_critiquellm(write_released(tmp_path / "pairwise.jsonl", rows))
    assert result.holds == "pairs" and not result.rejects
    assert [(p.id, p.verdict, p.score1, p.score2) for p in result.pairs] == [
        ("0", FIRST, 5, 2),
        ("1", SECOND, 1, 4),
        ("2", SECOND, 2, 3),
        ("3", FIRST, 4, 1),
    ]
    pair = result.pairs[1]
    assert pair.flags == ["scale:1-5"] and pair.teacher == "critiquellm-human"
    assert pair.instruction == CRITIQUELLM_QUESTIONS[1] and pair.answer2 == "他没有不喜欢阅读的时候。（1）"
    assert pair.reference == ("没有人不喜欢阅读。" if reference else "")
    assert pair.question_id == result.pairs[3].question_id != result.pairs[0].question_id, "grouped by question text"
    assert import_any("critiquellm", tmp_path / "pairwise.jsonl").pairs == result.pairs
    write_jsonl(tmp_path / "pairs.jsonl", result.pairs)
    assert "他没有不喜欢阅读" in (tmp_path / "pairs.jsonl").read_text(encoding="utf-8"), "Chinese written as it is"
    assert import_jsonl(tmp_path / "pairs.jsonl").pairs == result.pairs


# a bad row, and the field its error names
CRITIQUELLM_PAIRWISE_BAD = [
    (critiquellm_pairwise_row(10, 1, 4, 0), "label"),  # the label contradicts the scores
    (critiquellm_pairwise_row(11, 3, 3, 1), "label"),  # scores that tie: the sets have no ties
    (critiquellm_pairwise_row(12, 1, 4, 2), "label"),
    (critiquellm_pairwise_row(13, 1, 4, True), "label"),
    (critiquellm_pairwise_row(14, "high", 4, 1), "human_score_1"),
    (critiquellm_pairwise_row(15, 1, 6, 1), "human_score_2"),
    (critiquellm_pairwise_row(16, 1, True, 1), "human_score_2"),
    (critiquellm_pairwise_row(17, 1, "NaN", 1), "human_score_2"),
    ({k: v for k, v in critiquellm_pairwise_row(18).items() if k != "response_2"}, "response_2"),
    (critiquellm_pairwise_row(19, question="  "), "question"),
    (critiquellm_pointwise_row(20, "glm"), "<record>"),  # a pointwise row in a pairwise file
    ({"id": 21, "text": "其他"}, "<record>"),
    (critiquellm_pairwise_row(0), "id"),  # a second row with id 0
]


def test_critiquellm_bad_pairwise_rows_are_named_and_the_rest_goes_on(tmp_path):
    good = [critiquellm_pairwise_row(0), critiquellm_pairwise_row(1, 5, 2, 0)]
    for row, field in CRITIQUELLM_PAIRWISE_BAD:
        one = write_released(tmp_path / "one.jsonl", [good[0], row])
        with pytest.raises(RecordError) as error:
            import_critiquellm(one)
        assert (error.value.path, error.value.line, error.value.field) == (str(one), 2, field), error.value
    path = write_released(tmp_path / "bad.jsonl", [good[0], *(row for row, _ in CRITIQUELLM_PAIRWISE_BAD), good[1]])
    with pytest.raises(RecordError, match=r"bad.jsonl:2: field 'label': label 0 says response_1 is better, but the"):
        import_critiquellm(path)
    result = import_critiquellm(path, on_error="skip")
    assert [p.id for p in result.pairs] == ["0", "1"]
    assert [(r["line"], r["field"]) for r in result.rejects] == [
        (line, field) for line, (_, field) in enumerate(CRITIQUELLM_PAIRWISE_BAD, start=2)
    ]
    assert "tie at 3" in result.rejects[1]["reason"] and result.rejects[0]["record"]["id"] == 10


@pytest.mark.parametrize("reference", [True, False], ids=["reference-based", "reference-free"])
def test_critiquellm_pointwise_rows_become_scored_answers_that_round_trip(tmp_path, reference):
    rows = [
        critiquellm_pointwise_row(0, "sparkdesk", 1, reference),
        critiquellm_pointwise_row(1, "GPT_4", "4.0", reference),
        critiquellm_pointwise_row(2, "chatglm2_6b", 3.0, reference),
        critiquellm_pointwise_row(3, "GPT_4", "2", reference),
    ]
    result = import_critiquellm(write_released(tmp_path / "pointwise.jsonl", rows))
    assert result.holds == "scored" and result.records == result.scored and not result.pairs
    assert [(s.id, s.source, s.score, s.scale) for s in result.scored] == [
        ("0", "sparkdesk", 1, "1-5"),
        ("1", "GPT_4", 4, "1-5"),
        ("2", "chatglm2_6b", 3, "1-5"),
        ("3", "GPT_4", 2, "1-5"),
    ]
    first = result.scored[0]
    assert first.answer == "sparkdesk的回答：2^n - 1（0）"
    assert first.reference == ("共有2^n - 1个非空子集。" if reference else "")
    assert first.question_id == result.scored[2].question_id != result.scored[1].question_id
    write_jsonl(tmp_path / "scored.jsonl", result.scored)
    assert "的回答" in (tmp_path / "scored.jsonl").read_text(encoding="utf-8"), "Chinese written as it is"
    assert read_records(tmp_path / "scored.jsonl", ScoredAnswer).records == result.scored


def test_critiquellm_bad_pointwise_rows(tmp_path):
    bad = [
        (critiquellm_pointwise_row(1, "m", "4.0分"), "human_score"),
        (critiquellm_pointwise_row(2, "m", 0), "human_score"),
        (critiquellm_pointwise_row(3, "m", None), "human_score"),
        ({k: v for k, v in critiquellm_pointwise_row(4, "m").items() if k != "model"}, "model"),
        (critiquellm_pointwise_row(5, "m", response=""), "response"),
        (critiquellm_pairwise_row(6), "<record>"),
    ]
    path = write_released(tmp_path / "bad.jsonl", [critiquellm_pointwise_row(0, "m"), *(row for row, _ in bad)])
    result = import_critiquellm(path, on_error="skip")
    assert [s.id for s in result.scored] == ["0"] and result.holds == "scored"
    assert [(r["line"], r["field"]) for r in result.rejects] == [(n, f) for n, (_, f) in enumerate(bad, start=2)]
    assert "a pairwise row in a pointwise file (as line 1 is)" in result.rejects[-1]["reason"]


def test_scored_answers_stay_within_their_scale():
    row = dict(id="a", question_id="q", family="f", category="c", instruction="i", answer="x", source="m", scale="1-5")
    assert ScoredAnswer(**row, score=5).score == 5
    for score in (0, 5.5, float("nan"), True):
        with pytest.raises(ValueError):
            ScoredAnswer(**row, score=score)
    with pytest.raises(ValueError):
        ScoredAnswer(**{**row, "scale": "one to five"}, score=3)


def test_alignbench_release_imports_as_questions_not_pairs(tmp_path):
    rows = [
        alignbench_release_row(1),
        alignbench_release_row(2, category="数学计算", reference=""),
        alignbench_release_row(3, model_id="m1", answer="D", score=8),  # a judgment in the question file
        alignbench_release_row(1, question="重复的编号"),
        alignbench_release_row(4, evidences="百度百科"),
    ]
    path = write_released(tmp_path / "data_v1.1_release.jsonl", rows)
    with pytest.raises(RecordError, match=r"release.jsonl:3: field '<record>': a judgment \(fields answer, model_id"):
        import_alignbench(path)
    result = import_alignbench(path, on_error="skip")
    assert result.holds == "questions" and result.records == result.questions and not result.pairs
    first, no_reference = result.questions
    assert (first.id, first.category, first.instruction) == ("alignbench-1", "专业能力", "C大调音阶的第1个音是什么？")
    assert first.check["subcategory"] == "音乐" and first.check["evidences"][0]["quote"].startswith("C大调音阶")
    assert (no_reference.reference, no_reference.check["reference_source"]) == (NO_REFERENCE, "none")
    assert [(r["line"], r["field"]) for r in result.rejects] == [(3, "<record>"), (4, "question_id"), (5, "evidences")]
    assert any("no answers, so it makes no pairs" in w and "generate.questions_from" in w for w in result.warnings)
    write_jsonl(tmp_path / "questions.jsonl", result.questions)
    assert read_records(tmp_path / "questions.jsonl", Question).records == result.questions


def test_a_question_set_asked_for_pairs_says_it_holds_no_answers(tmp_path):
    release = write_released(tmp_path / "release.jsonl", [alignbench_release_row(1)])
    with pytest.raises(InputError, match=r"holds questions and references but no answers, so it makes no pairs: "
                       r"`judgeops import alignbench .*release.jsonl --out QUESTIONS`"):  # fmt: skip
        import_jsonl(release)
    questions = tmp_path / "questions.jsonl"
    write_jsonl(questions, import_alignbench(release).questions)
    with pytest.raises(InputError, match=r"so it makes no pairs: set `generate.questions_from: .*questions.jsonl`"):
        import_jsonl(questions)
    judgments = write_released(tmp_path / "judged.jsonl", [alignbench_row(1, "m1", 8), alignbench_release_row(2)])
    with pytest.raises(RecordError, match=r"judged.jsonl:2: field '<record>': a question without an answer"):
        import_alignbench(judgments)


def canonical_rows() -> list[dict]:
    return [pair.model_dump(mode="json") for pair in arithmetic_pairs(3)]


def test_jsonl_validates_our_own_pairs(tmp_path):
    good = canonical_rows()
    path = tmp_path / "pairs.jsonl"
    write_jsonl(path, good)
    assert [p.model_dump(mode="json") for p in import_jsonl(path).pairs] == good
    bad = [
        {**good[0], "id": "x1", "verdict": SECOND},
        {**good[0], "id": "x2", "colour": "red"},
        {**good[0], "id": "x3", "instruction": ""},
        {**good[0], "id": "x4", "score1": "high"},
        good[1],
        ["not", "an", "object"],
    ]
    write_lines(path, good + bad)
    with pytest.raises(RecordError, match=r"pairs.jsonl:4: field 'verdict': 2 contradicts scores 9 and 3"):
        import_jsonl(path)
    result = import_jsonl(path, on_error="skip")
    assert len(result.pairs) == 3
    assert [(r["line"], r["field"]) for r in result.rejects] == [
        (4, "verdict"),
        (5, "colour"),
        (6, "instruction"),
        (7, "score1"),
        (8, "id"),
        (9, "<record>"),
    ]


def test_hf_reads_saved_datasets_and_local_files_never_the_hub(tmp_path):
    import datasets

    rows = canonical_rows()
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    assert [p.model_dump(mode="json") for p in import_hf(tmp_path / "saved").pairs] == rows

    bad = {**rows[2], "id": "p9", "answer1": ""}
    datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(rows[:2]), "test": datasets.Dataset.from_list([rows[2], bad])}
    ).save_to_disk(str(tmp_path / "splits"))
    with pytest.raises(RecordError, match=r"splits\[test\]:2: field 'answer1'"):
        import_hf(tmp_path / "splits")
    result = import_hf(tmp_path / "splits", on_error="skip")
    assert [p.id for p in result.pairs] == ["p2", "p0", "p1"] and len(result.rejects) == 1

    judgelm = write_lines(
        tmp_path / "judgelm.jsonl",
        [
            judgelm_row(0),
            judgelm_row(1, "5", "4", score=[3, 8], text="3 8\nno", score_w_reference=None, text_w_reference=None),
        ],
    )
    pairs = import_any("hf", judgelm, row_format="judgelm").pairs
    assert [(p.id, p.verdict, p.reason_no_reference) for p in pairs] == [
        ("0", FIRST, "Assistant 1 is right, Assistant 2 is not."),
        ("1", SECOND, ""),
    ]
    assert "swapped_twin:1" in pairs[0].flags

    with pytest.raises(FileNotFoundError, match="local disk only"):
        import_hf("BAAI/JudgeLM-100K")


def test_pandalm_skips_bad_rows_when_asked(tmp_path):
    row = {
        "idx": 0,
        "motivation_app": "app",
        "cmp_key": "a_b",
        "instruction": "Say hi.",
        "input": "",
        "response1": "hi",
        "response2": "hello",
        "annotator1": 1,
        "annotator2": "1",
        "annotator3": 2,
    }
    path = tmp_path / "testset.json"
    path.write_text(json.dumps([row, {**row, "idx": 1, "annotator1": 7}, {**row, "idx": 0}, {**row, "idx": 2}]))
    with pytest.raises(RecordError, match="annotator1"):
        import_pandalm(path)
    result = import_pandalm(path, on_error="skip")
    assert [p.id for p in result.pairs] == ["0", "2"]
    assert [(r["line"], r["field"]) for r in result.rejects] == [(2, "annotator1"), (3, "idx")]


def test_import_any_dispatches_and_derives_questions_and_answers(tmp_path):
    path = tmp_path / "pairs.jsonl"
    write_jsonl(path, canonical_rows())
    pairs = import_any("jsonl", path).pairs
    assert len(pairs) == 3
    questions = questions_from_pairs(pairs)
    assert [q.id for q in questions] == ["q0", "q1", "q2"] and questions[0].reference == "3"
    assert {a.question_id for a in answers_from_pairs(pairs)} == {"q0", "q1", "q2"}
    with pytest.raises(ValueError, match="known kinds: pandalm, judgelm, mt_bench, alignbench, critiquellm, jsonl, hf"):
        import_any("csv", path)
    with pytest.raises(ValueError, match="on_error"):
        import_any("jsonl", path, on_error="ignore")


EMPTY_INPUTS = {"no bytes": "", "blank lines": "\n  \n", "an empty array": "[]"}


@pytest.mark.parametrize("kind", ["jsonl", "judgelm", "alignbench", "critiquellm", "pandalm", "mt_bench", "hf"])
@pytest.mark.parametrize("content", EMPTY_INPUTS.values(), ids=list(EMPTY_INPUTS))
def test_every_importer_refuses_an_empty_input_naming_it(tmp_path, kind, content):
    path = tmp_path / ("question.jsonl" if kind == "mt_bench" else "in.jsonl")
    path.write_text(content)
    with pytest.raises(InputError, match=f"^{path}: no records to import: it is empty$"):
        import_any(kind, path)
