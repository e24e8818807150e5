"""Stage generate: questions, candidate answers, teacher-labelled pairs, and the splits.

With the default teachers the questions come from the task families and the answers from variants
(and the base model); with ``questions_from`` the questions are an imported question set (AlignBench's
release, MT-Bench) with their categories, which only an LLM teacher can label (the oracle's verifiers
belong to the families); with ``teacher: dataset`` they come from imported pairs whose labels pass
through. Everything written is a function of the params and the teacher's answers, so the same seed
gives byte-identical files; wall-clock figures (teacher throughput) go to the metrics only.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field

from components import paths
from components.config import GenerateParams, Params
from components.data import dedup
from components.data.answers import endpoint_answers, model_answers, variant_answers
from components.data.families import get_family
from components.data.importers import NO_REFERENCE, answers_from_pairs, questions_from_pairs
from components.data.variants import FAMILY_FREE
from components.io import InputError, iter_json_lines, read_records, write_jsonl
from components.schemas import Answer, Pair, Question
from components.stages.contract import Out, Stage
from components.teachers.base import Teacher
from components.teachers.dataset import DatasetTeacher
from components.teachers.factory import make_teacher
from components.teachers.pairing import (
    Candidate,
    PairingStats,
    grade_answers,
    label_pairs,
    pass_through,
    sample_pairs,
    split_by_question,
)
from components.teachers.rewrite import Rewriter

log = logging.getLogger(__name__)

STAGE = Stage(
    name="generate",
    help="Questions, candidate answers, teacher-labelled pairs and splits.",
    params=("generate",),
    deps=(
        "data/base_model",
        "components/data",
        "components/teachers",
        # what the teachers and the model answers run on
        "components/judges/__init__.py",
        "components/judges/base.py",
        "components/judges/ct2.py",
        "components/judges/hf.py",
        "components/judges/identity.py",
        "components/judges/logprob.py",
        "components/judges/openai.py",
        "components/judges/parsers.py",
        "components/judges/score_reading.py",
        "components/judges/templates.py",
        "components/judges/top_logprobs.py",
        "components/judges/whole_rows.py",
        "components/keyed_jsonl.py",
        "components/llm_client.py",
        "components/models.py",
        "components/progress.py",
        "components/schemas.py",
        "components/textgen.py",
    ),
    outs=(Out("data/generated"),),
)


@dataclass
class Built:
    questions: list[Question]
    answers: list[Answer]
    pairs: list[Pair]
    rejects: list[dict]
    pairing: PairingStats
    metrics: dict = field(default_factory=dict)


def run(params: Params, tracker) -> dict:
    cfg = params.generate
    teacher = make_teacher(cfg)
    try:
        built = imported(teacher, cfg) if cfg.teacher == "dataset" else generated(params, teacher)
        if cfg.two_round:
            rewriter = Rewriter(teacher.complete)
            built.pairs = rewriter.rewrite(built.pairs)
            built.metrics |= {
                "rewritten_without_reference": rewriter.stats.rewritten,
                "rewrite_clamped": rewriter.stats.clamped,
                "rewrite_failures": rewriter.stats.failures,
            }
        built.metrics |= getattr(teacher, "stats", dict)()
    finally:
        getattr(teacher, "close", lambda: None)()
    split_of = split_by_question(built.questions, cfg.split.model_dump(), cfg.seed)
    pairs = [p.model_copy(update={"split": split_of[p.question_id]}) for p in built.pairs]

    write_jsonl(paths.QUESTIONS, built.questions)
    write_jsonl(paths.ANSWERS, built.answers)
    write_jsonl(paths.PAIRS, pairs)
    write_jsonl(paths.REJECTS, built.rejects)
    for split in cfg.split.model_dump():
        write_jsonl(paths.split_file(split), [p for p in pairs if p.split == split])
    metrics = summary(pairs, built)
    teacher_figures = {k: v for k, v in metrics.items() if k.startswith("teacher_")}
    log.info(
        "teacher %s: %s",
        teacher.name,
        ", ".join(f"{k.removeprefix('teacher_')} {v}" for k, v in teacher_figures.items()),
    )
    return metrics


def generated(params: Params, teacher: Teacher) -> Built:
    """Questions from the task families (or ``questions_from``), answers from variants (and the base model,
    and the answer endpoints), pairs sampled and labelled by ``teacher``."""
    cfg = params.generate
    questions, question_rejects, question_metrics = question_source(params)
    variants = cfg.variants if not cfg.questions_from else [v for v in cfg.variants if v in FAMILY_FREE]
    answers = variant_answers(questions, variants, cfg.seed)
    stats: dict = {}
    if cfg.model_answers:
        from components.models import load_causal_lm

        model, tokenizer = load_causal_lm(paths.BASE_MODEL)
        for group in model_answered(questions, cfg):  # each group generated alone: see model_answered
            if not group:
                continue
            found, group_stats = model_answers(
                model, tokenizer, group, cfg.decodings, "base", cfg.max_new_tokens, cfg.batch_size, cfg.seed
            )
            answers += found
            for key in ("model_answers", "model_answer_seconds"):
                stats[key] = stats.get(key, 0) + group_stats[key]
            stats["model_answered_questions"] = stats.get("model_answered_questions", 0) + len(group)
        seconds = stats.get("model_answer_seconds", 0)
        stats["model_answers_per_s"] = stats.get("model_answers", 0) / seconds if seconds else 0.0
    endpoint_rejects: list[dict] = []
    for endpoint in cfg.answer_endpoints:
        found, failed, endpoint_stats = endpoint_answers(questions, endpoint, cfg.max_new_tokens, paths.ANSWER_CACHE)
        answers, endpoint_rejects, stats = answers + found, endpoint_rejects + failed, stats | endpoint_stats
    pairs, pairing, rejects = build_pairs(questions, answers, teacher, cfg)
    rejects += endpoint_rejects
    rejects += question_rejects
    metrics = {**question_metrics, **{k: round(v, 3) for k, v in stats.items()}}
    return Built(questions, answers, pairs, rejects, pairing, metrics)


def question_source(params: Params) -> tuple[list[Question], list[dict], dict]:
    """(questions, rejects, metrics): the task families' questions without near-duplicates, or with
    ``questions_from`` the imported question set."""
    if params.generate.questions_from:
        return imported_questions(params.generate)
    questions, duplicates = build_questions(params)
    rejects = [{"reason": "near-duplicate question", "record": q.model_dump(mode="json")} for q in duplicates]
    return questions, rejects, {"near_duplicates_dropped": len(duplicates)}


def imported_questions(cfg: GenerateParams) -> tuple[list[Question], list[dict], dict]:
    """The questions ``questions_from`` names, categories kept, balanced by ``max_per_category``. A question
    without a reference is rejected: the LLM teacher grades an answer against the reference. The
    near-duplicate filter is not run: imported sets are curated, and its ROUGE-L tokenizer reads no
    Chinese. Of the answer variants only the family-free ones apply (the others need a task family)."""
    questions = read_question_set(cfg.questions_from)
    kept = [q for q in questions if q.reference != NO_REFERENCE]
    reason = "imported question without a reference: the teacher grades answers against it"
    rejects = [
        {"reason": reason, "record": q.model_dump(mode="json")} for q in questions if q.reference == NO_REFERENCE
    ]
    if cfg.max_per_category is not None:
        kept = dedup.balance(kept, cfg.max_per_category)
    skipped = sorted(set(cfg.variants) - FAMILY_FREE)
    if skipped:
        log.info("questions_from: variants %s need a task family; imported questions get none of them", skipped)
    metrics = {
        "imported_questions": len(questions),
        "questions_without_reference_dropped": len(rejects),
        "family_variants_skipped": len(skipped),
    }
    return kept, rejects, metrics


def read_question_set(path: str) -> list[Question]:
    """``Question`` records as ``judgeops import`` writes a question set; another shape (the raw release,
    pairs) is refused naming the file and the command that converts it."""
    for _, first in iter_json_lines(path):
        if not isinstance(first, dict) or "instruction" not in first or "reference" not in first:
            raise InputError(
                f"generate.questions_from: {path} does not hold question records (instruction, reference, ...): "
                "write them with `judgeops import alignbench FILE --out QUESTIONS` (or mt-bench)"
            )
        break
    questions = read_records(path, Question).records
    if not questions:
        raise InputError(f"generate.questions_from: {path} holds no questions")
    return questions


def model_answered(questions: list[Question], cfg: GenerateParams) -> tuple[list[Question], list[Question]]:
    """The questions the base model answers, as two groups that are generated apart: every val and test
    question (the splits a judge is measured on keep the full mix of answers), then the first
    ``model_answer_train_questions`` train questions of each family (all of them when it is null). Apart,
    because batching and the sampling seed's stream run across a group: generated together, the test
    split's answers would change whenever the train side's count did, and experiments on the train data
    could not be compared on one test split. Train questions beyond those get variant answers only."""
    split_of = split_by_question(questions, cfg.split.model_dump(), cfg.seed)
    measured = [question for question in questions if split_of[question.id] != "train"]
    taken: Counter = Counter()
    train = []
    for question in questions:
        if split_of[question.id] != "train":
            continue
        if cfg.model_answer_train_questions is not None:
            if taken[question.family] >= cfg.model_answer_train_questions:
                continue
            taken[question.family] += 1
        train.append(question)
    return measured, train


def imported(teacher: DatasetTeacher, cfg: GenerateParams) -> Built:
    """Pairs imported with their labels (``teacher: dataset``): kept as they are, after the same
    teacher-failure and swap checks as generated pairs; questions and answers are derived from them."""
    questions = questions_from_pairs(teacher.pairs)
    answers = answers_from_pairs(teacher.pairs)
    pairing = PairingStats()
    by_id = {question.id: question for question in questions}
    pairs, rejects = pass_through(teacher.pairs, by_id, teacher, cfg.swap_filter, pairing)
    metrics = {"questions_without_reference": sum(q.check["reference_source"] == "none" for q in questions)}
    return Built(questions, answers, pairs, rejects, pairing, metrics)


def build_questions(params: Params) -> tuple[list[Question], list[Question]]:
    cfg = params.generate
    questions: list[Question] = []
    for name in cfg.families:
        rng = random.Random(f"{cfg.seed}:{name}")
        questions += get_family(name).questions(rng, cfg.questions_per_family)
    kept, duplicates = dedup.drop_near_duplicates(questions, cfg.dedup_threshold)
    if cfg.max_per_category is not None:
        kept = dedup.balance(kept, cfg.max_per_category)
    return kept, duplicates


def build_pairs(
    questions: list[Question], answers: list[Answer], teacher: Teacher, cfg: GenerateParams
) -> tuple[list[Pair], PairingStats, list[dict]]:
    """Grade every non-empty answer, sample pairs per question from the grades, label them in both
    orders. The teacher gets all grade requests in one call, then all label requests in one call."""
    by_question: dict[str, list[Answer]] = {}
    for answer in answers:
        by_question.setdefault(answer.question_id, []).append(answer)
    stats = PairingStats()
    rejects: list[dict] = []
    to_grade: list[tuple[Question, Answer]] = []
    for question in questions:
        for answer in by_question.get(question.id, []):
            if answer.text.strip():
                to_grade.append((question, answer))
            else:
                stats.empty_answers += 1
                rejects.append({"reason": "empty answer", "record": answer.model_dump(mode="json")})
    scores, ungraded = grade_answers(teacher, to_grade, stats)
    rejects += ungraded
    chosen: list[Candidate] = []
    for question in questions:
        graded = [a for a in by_question.get(question.id, []) if a.id in scores]
        rng = random.Random(f"{cfg.seed}:pairs:{question.id}")
        picked = sample_pairs(question, graded, scores, cfg.pairs_per_question, cfg.tie_share, rng)
        chosen += [Candidate(question, index, a, b) for index, (a, b) in enumerate(picked)]
    pairs, label_rejects = label_pairs(chosen, teacher, cfg.swap_filter, stats)
    return pairs, stats, rejects + label_rejects


def summary(pairs: list[Pair], built: Built) -> dict:
    pairing = built.pairing
    verdicts = Counter(p.verdict for p in pairs)
    splits = Counter(p.split for p in pairs)
    return {
        "questions": len(built.questions),
        "answers": len(built.answers),
        "pairs": len(pairs),
        "swap_conflicts_dropped": pairing.swap_conflicts,
        "teacher_failures_dropped": pairing.teacher_failures,
        "ungraded_answers": pairing.grade_failures,
        "empty_answers_skipped": pairing.empty_answers,
        "teacher_items": pairing.teacher_items,
        "teacher_concurrency": 1,
        "teacher_items_per_s": round(pairing.teacher_items / pairing.teacher_seconds, 3)
        if pairing.teacher_seconds
        else 0.0,
        "tie_share": verdicts[0] / len(pairs) if pairs else 0.0,
        "first_wins_share": verdicts[1] / len(pairs) if pairs else 0.0,
        "second_wins_share": verdicts[2] / len(pairs) if pairs else 0.0,
        **{f"{split}_pairs": n for split, n in splits.items()},
        **built.metrics,
    }
