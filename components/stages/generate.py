"""Stage generate: questions, candidate answers, teacher-labelled pairs, and the splits."""

from __future__ import annotations

import random
from collections import Counter

from components import paths
from components.config import Params
from components.data import dedup
from components.data.answers import model_answers, variant_answers
from components.data.families import get_family
from components.data.pairing import PairingStats, label_pairs, sample_pairs, split_by_question
from components.io import write_jsonl
from components.schemas import Answer, Question
from components.teachers.factory import make_teacher


def run(params: Params, tracker) -> dict:
    cfg = params.generate
    questions, duplicates = build_questions(params)
    answers = variant_answers(questions, cfg.variants, cfg.seed)
    stats: dict = {}
    if cfg.model_answers:
        from components.models import load_causal_lm

        model, tokenizer = load_causal_lm(paths.BASE_MODEL)
        generated, stats = model_answers(
            model, tokenizer, questions, cfg.decodings, "base", cfg.max_new_tokens, cfg.batch_size, cfg.seed
        )
        answers += generated
    teacher = make_teacher(cfg.teacher)
    pairs, pairing, rejects = build_pairs(questions, answers, teacher, cfg)
    split_of = split_by_question(questions, cfg.split.model_dump(), cfg.seed)
    pairs = [p.model_copy(update={"split": split_of[p.question_id]}) for p in pairs]

    write_jsonl(paths.QUESTIONS, questions)
    write_jsonl(paths.ANSWERS, answers)
    write_jsonl(paths.PAIRS, pairs)
    write_jsonl(paths.REJECTS, rejects + [{"reason": "near-duplicate question", "record": q.model_dump()} for q in duplicates])
    for split in cfg.split.model_dump():
        write_jsonl(paths.split_file(split), [p for p in pairs if p.split == split])

    verdicts = Counter(p.verdict for p in pairs)
    splits = Counter(p.split for p in pairs)
    return {
        "questions": len(questions),
        "near_duplicates_dropped": len(duplicates),
        "answers": len(answers),
        "pairs": len(pairs),
        "swap_conflicts_dropped": pairing.swap_conflicts,
        "empty_answers_skipped": pairing.empty_answers,
        "tie_share": verdicts[0] / len(pairs) if pairs else 0.0,
        "first_wins_share": verdicts[1] / len(pairs) if pairs else 0.0,
        "second_wins_share": verdicts[2] / len(pairs) if pairs else 0.0,
        **{f"{split}_pairs": n for split, n in splits.items()},
        **{k: round(v, 3) for k, v in stats.items()},
    }


def build_questions(params: Params) -> tuple[list[Question], list[Question]]:
    cfg = params.generate
    questions: list[Question] = []
    for name in cfg.families:
        rng = random.Random(f"{cfg.seed}:{name}")
        questions += get_family(name).questions(rng, cfg.questions_per_family)
    return dedup.drop_near_duplicates(questions, cfg.dedup_threshold)


def build_pairs(questions, answers: list[Answer], teacher, cfg):
    by_question: dict[str, list[Answer]] = {}
    for answer in answers:
        by_question.setdefault(answer.question_id, []).append(answer)
    stats = PairingStats()
    pairs, rejects = [], []
    for question in questions:
        candidates = []
        for answer in by_question.get(question.id, []):
            if answer.text.strip():
                candidates.append(answer)
            else:
                stats.empty_answers += 1
                rejects.append({"reason": "empty answer", "record": answer.model_dump()})
        scores = {a.id: teacher.grade(question, a.text).score for a in candidates}
        rng = random.Random(f"{cfg.seed}:pairs:{question.id}")
        chosen = sample_pairs(question, candidates, scores, cfg.pairs_per_question, cfg.tie_share, rng)
        pairs += label_pairs(question, chosen, teacher, cfg.swap_filter, stats)
    return pairs, stats, rejects
