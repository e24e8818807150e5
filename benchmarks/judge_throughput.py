"""Judgments per second of the hf judge in three modes and on three engines, on the same items.

(a) naive: one item at a time, greedy generation of the score line and the reason (up to
    --reason-tokens) -- how PandaLM and JudgeLM run their judges; the baseline.
(b) score_first: batched, generation stops at the end of the score line (JudgeLM's fast mode).
(c) logprob: batched, the score line read from next-token probabilities (components.judges.logprob),
    prompts that share their start (one question's answers, a pair's two orders) running it once.
(d) = (c) with every prompt's start run per row: what the shared-start lever saves.
(e) = (c) on the ct2 engine: the judge converted to CTranslate2 int8 (``judge.engine: ct2``), when
    ctranslate2 is installed; the conversion (once per weights, cached) is not timed.
(f) = (c) with a bf16 copy of the weights, with --bf16: what native bf16 matmuls (AMX) buy over fp32.
(g) = (c) on llama.cpp, with --gguf: the same judge converted to GGUF, read through llama-cpp-python
    (benchmarks/llama_cpp_lm.py); loading the file is not timed.

The template is the one the --adapter was trained on (its judgeops_judge.json), so a pointwise judge is
benchmarked as the pipeline runs it: each distinct answer graded once per call, the verdict from the
two scores.

Every mode judges one untimed item first, so one-time costs (building the newline-token table,
first-call allocation) stay out of the rates. Ratios are against (a) measured in the same run; the
agreement columns compare verdicts on the items both modes parsed. See benchmarks/README.md.

    .venv/bin/python benchmarks/judge_throughput.py --pairs 32
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import random
import re
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from common import REPO, model_folder  # benchmarks/common.py, beside this script

from components.data.answers import variant_answers
from components.data.families import get_family
from components.io import read_jsonl
from components.judges import logprob
from components.judges.base import JudgeItem
from components.judges.hf import HFJudge
from components.judges.templates import get_template
from components.models import load_causal_lm
from components.schemas import Judgment, Pair
from components.teachers.oracle import OracleTeacher
from components.teachers.pairing import make_pair

TEST_SPLIT = REPO / "data" / "generated" / "test.jsonl"
FALLBACK_FAMILIES = ("arithmetic", "capitals", "units", "word_count")


@dataclass(frozen=True)
class Run:
    label: str
    batch_size: int
    seconds: float
    judgments: list[Judgment]

    @property
    def rate(self) -> float:
        return len(self.judgments) / self.seconds


def built_pairs(n: int, seed: int = 0) -> list[Pair]:
    """``n`` oracle-labelled pairs (a correct and a wrong answer, alternating sides), families interleaved."""
    teacher = OracleTeacher()
    per_family = -(-n // len(FALLBACK_FAMILIES))
    columns = []
    for name in FALLBACK_FAMILIES:
        questions = get_family(name).questions(random.Random(f"{seed}:{name}"), per_family)
        answers = {answer.id: answer for answer in variant_answers(questions, ["correct", "wrong"], seed)}
        column = []
        for index, question in enumerate(questions):
            a, b = answers[f"{question.id}:correct"], answers[f"{question.id}:wrong"]
            a, b = (a, b) if index % 2 == 0 else (b, a)
            label = teacher.label(question, a.text, b.text)
            column.append(make_pair(f"{question.id}:bench", question, a, b, label, teacher.name))
        columns.append(column)
    return [pair for row in zip(*columns, strict=False) for pair in row][:n]


def load_pairs(n: int) -> tuple[list[Pair], str]:
    if TEST_SPLIT.exists():
        pairs = read_jsonl(TEST_SPLIT, Pair)[:n]
        if len(pairs) == n:
            return pairs, str(TEST_SPLIT.relative_to(REPO))
    return built_pairs(n), f"built: {', '.join(FALLBACK_FAMILIES)} x correct/wrong, oracle labels"


def timed(label: str, judge: HFJudge, items: list[JudgeItem], one_at_a_time: bool = False) -> Run:
    """Judge ``items`` in one call, or -- the naive baseline -- one call per item, so nothing is shared
    between items (a pointwise judge reads an answer that two pairs share twice)."""
    judge.judge(items[:1])
    started = time.perf_counter()
    judgments = [j for item in items for j in judge.judge([item])] if one_at_a_time else judge.judge(items)
    return Run(label, judge.batch_size, time.perf_counter() - started, judgments)


def agreement(a: list[Judgment], b: list[Judgment] | list[int | None]) -> str:
    """Same verdict / both parsed (a teacher's verdicts count as parsed)."""
    verdicts = [x.verdict if isinstance(x, Judgment) else x for x in b]
    both = [(x.verdict, y) for x, y in zip(a, verdicts, strict=True) if x.verdict is not None and y is not None]
    return f"{sum(x == y for x, y in both)}/{len(both)}"


POINTWISE_MARKS = re.compile(r"^\[[12]\] ", re.MULTILINE)  # hf.py's "[1] ... / [2] ..." around the two readings


def written_tokens(run: Run, tokenizer) -> float:
    """Mean tokens of judge output per judgment (both answers' for a pointwise judge): what a decoding mode
    writes after the prompt's forward pass, and what logprob reading never writes."""
    texts = [POINTWISE_MARKS.sub("", j.raw) for j in run.judgments]
    return sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]) / max(len(texts), 1)


def table(runs: list[Run], teacher: list[int | None], tokenizer) -> str:
    base = runs[0]
    header = f"{'mode':<36} {'batch':>5} {'judged':>6} {'failed':>6} {'written':>7} {'seconds':>8} {'judg/s':>8}"
    header += f" {'x (a)':>7}"
    header += "".join(f" {'agree ' + run.label[:3]:>10}" for run in runs) + f" {'teacher':>9}"
    lines = [header]
    for run in runs:
        failed = sum(j.failed for j in run.judgments)
        line = f"{run.label:<36} {run.batch_size:>5} {len(run.judgments):>6} {failed:>6} "
        line += f"{written_tokens(run, tokenizer):>7.1f} {run.seconds:>8.2f} "
        line += f"{run.rate:>8.3f} {run.rate / base.rate:>7.1f}"
        line += "".join(
            f" {agreement(run.judgments, other.judgments) if other is not run else '-':>10}" for other in runs
        )
        lines.append(line + f" {agreement(run.judgments, teacher):>9}")
    return "\n".join(lines)


def trained_template(adapter: str | None) -> str:
    """The template a judge folder records (judgeops_judge.json), so the judge is read the way it was trained."""
    identity = Path(adapter or "", "judgeops_judge.json")
    return json.loads(identity.read_text())["template"] if adapter and identity.exists() else "judgeops"


def prompt_tokens(judge: HFJudge, items: list[JudgeItem], batch_size: int) -> str:
    """What the modes must at least run through the model, per judgment: (a) reads every prompt of
    every pair; (c) reads each distinct prompt once and a batch's shared start once, padding included."""

    def encoded(pair: Pair) -> list[int]:
        return judge.tokenizer(judge.prompt(pair)[0], add_special_tokens=False)["input_ids"]

    pointwise = get_template(judge.template).kind == "pointwise"
    prompts = [encoded(i.shown) for i in items] + ([encoded(i.shown.swapped()) for i in items] if pointwise else [])
    distinct = list(dict.fromkeys(map(tuple, prompts)))
    batches = logprob.shared_prefix_batches(distinct, batch_size)
    fed = sum(shared + len(batch) * (max(len(distinct[i]) for i in batch) - shared) for batch, shared in batches)
    read = sum(map(len, prompts))
    return f"prompt tokens per judgment: {read / len(items):.0f} read by (a), {fed / len(items):.0f} fed by (c)"


@contextmanager
def unshared():
    """Logprob reading without the shared-start lever: every prompt's start runs once per row."""
    kept, logprob.MIN_SHARED = logprob.MIN_SHARED, 10**9
    try:
        yield
    finally:
        logprob.MIN_SHARED = kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=32, help="items to judge (original order), default 32")
    parser.add_argument("--model", help="a local model folder (default: data/base_model, else SmolLM2)")
    parser.add_argument("--adapter", help="a LoRA adapter folder, e.g. models/judge")
    parser.add_argument("--template", help="default: the template the --adapter was trained on, else judgeops")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--reason-tokens", type=int, default=100, help="(a): new tokens for score line + reason")
    parser.add_argument("--score-tokens", type=int, default=16, help="(b): cap on the score line's tokens")
    parser.add_argument("--bf16", action="store_true", help="(f): also read with a bf16 copy of the weights")
    parser.add_argument("--gguf", help="(g): the same judge as a GGUF file, read through llama-cpp-python")
    args = parser.parse_args()

    args.template = args.template or trained_template(args.adapter)
    with ExitStack() as stack:
        folder = model_folder(stack, args.model)
        model, tokenizer = load_causal_lm(folder, args.adapter)
        pairs, source = load_pairs(args.pairs)
        items = [JudgeItem(pair) for pair in pairs]

        def judge(mode: str, batch_size: int, max_new_tokens: int) -> HFJudge:
            return HFJudge(
                mode,
                folder,
                args.adapter,
                args.template,
                mode,
                batch_size=batch_size,
                max_new_tokens=max_new_tokens,
                model=model,
                tokenizer=tokenizer,
            )

        print(f"model {folder} (adapter {args.adapter}), template {args.template}, {len(items)} items from {source}")
        threads = torch.get_num_threads()
        print(f"torch {torch.__version__}, {threads} threads", flush=True)
        reader = judge("logprob", args.batch_size, args.score_tokens)  # (c), and what (d)-(g) vary
        print(prompt_tokens(reader, items, args.batch_size), flush=True)
        runs = [
            timed(
                f"(a) naive generate, {args.reason_tokens} tokens",
                judge("generate", 1, args.reason_tokens),
                items,
                one_at_a_time=True,
            )
        ]
        print(f"(a) done in {runs[0].seconds:.1f} s", flush=True)
        runs.append(timed("(b) batched score_first", judge("score_first", args.batch_size, args.score_tokens), items))
        runs.append(timed("(c) batched logprob", reader, items))
        with unshared():
            runs.append(timed("(d) = (c), shared starts run per row", reader, items))
        if importlib.util.find_spec("ctranslate2"):
            converted = replace(reader, engine="ct2", model=None, tokenizer=None)
            runs.append(timed("(e) = (c) on the ct2 int8 engine", converted, items))
        else:
            print("(e) skipped: ctranslate2 is not installed (pip install ctranslate2)")
        if args.bf16:
            halved = replace(reader, model=copy.deepcopy(model).to(torch.bfloat16))
            runs.append(timed("(f) = (c), weights in bf16", halved, items))
        if args.gguf:
            from llama_cpp_lm import LlamaCppCausalLM  # benchmarks/, beside this script

            on_llama = replace(reader, model=LlamaCppCausalLM(args.gguf, threads))
            runs.append(timed(f"(g) = (c) on llama.cpp, {Path(args.gguf).name}", on_llama, items))
    print(table(runs, [pair.verdict for pair in pairs], tokenizer))


if __name__ == "__main__":
    main()
