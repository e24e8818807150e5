"""MT-Bench's expert votes (lmsys ``mt_bench_human_judgments``, 3,355 votes on the Hugging Face hub) as ``Pair``
records: one pair per question, model pair and turn, every vote kept as an annotator, gold by majority.

A vote is ``{"question_id", "model_a", "model_b", "winner", "judge", "conversation_a", "conversation_b",
"turn"}`` with ``winner`` "model_a", "model_b", "tie" or "tie (inconsistent)" (both read as a tie) and the
conversations lists of ``{"role", "content"}`` turns. Read from JSONL, a JSON array, or the hub's parquet.
Votes are grouped by (question_id, model_a, model_b, turn), in first-seen order; ``annotators`` holds their
verdicts (0 tie, 1 model_a, 2 model_b) in file order and the flag ``judges:<a>,<b>,...`` who gave them. The
gold verdict is the label more than half the votes give; a pair without one keeps ``verdict=None``, is flagged
``no_majority`` and counted in the warnings (it cannot be gold). The category comes from the question id
(MT-Bench's eight blocks of ten: 81 writing ... 151 humanities), the turn is the flag ``turn:<n>``.

Turn 1: the instruction is the first user message and each answer the model's first reply. Turn 2 is judged on
the whole conversation: the instruction is the second user message, the input the first, and each answer holds
that model's two replies, ``[Turn 1]`` then ``[Turn 2]`` (the first replies differ between the models).
A vote whose conversations disagree with the first vote of its pair is rejected, naming the field.
"""

from __future__ import annotations

from pathlib import Path

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.pandalm import majority
from components.data.importers.rows import Row, Where, build, collect, json_rows, reject, required, text
from components.io import InputError, OnError
from components.schemas import FIRST, SECOND, TIE, Pair

WINNERS = {"model_a": FIRST, "model_b": SECOND, "tie": TIE, "tie (inconsistent)": TIE}
CATEGORIES = ("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")
"""MT-Bench's categories, ten questions each from question 81."""


def import_mtbench_human(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    rows, rejects = collect(_rows(Path(path)), _vote, on_error, lambda vote: vote["place"], "<vote>")
    groups: dict[tuple, list[tuple[Where, dict]]] = {}
    for at, vote in rows:
        groups.setdefault(vote["key"], []).append((at, vote))
    result = ImportResult(rejects=rejects)
    for votes in groups.values():
        at, first = votes[0]
        kept = [first]
        for other_at, vote in votes[1:]:
            differs = next((name for name in ("conversation_a", "conversation_b") if vote[name] != first[name]), None)
            if differs:
                error = other_at.error(differs, f"differs from the vote at {at.file}:{at.line} on the same pair")
                if on_error == "raise":
                    raise error
                result.rejects.append(reject(error, vote["row"]))
                continue
            kept.append(vote)
        result.pairs.append(_pair(at, kept))
    no_majority = [pair.id for pair in result.pairs if pair.verdict is None]
    if no_majority:
        result.warnings.append(
            f"{path}: {len(no_majority)} of {len(result.pairs)} pairs have no majority vote (flagged no_majority, "
            f"verdict None; not usable as gold): {', '.join(no_majority[:10])}{' ...' if len(no_majority) > 10 else ''}"
        )
    result.pairs = flag_repeats(result.pairs)
    return result


def _rows(path: Path) -> list[Row]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        records = pq.read_table(path).to_pylist()
        if not records:
            raise InputError(f"{path}: no records to import: it is empty")
        return [(Where(str(path), index), record) for index, record in enumerate(records, start=1)]
    return list(json_rows(path))


def category(question_id: int) -> str:
    block = (question_id - 81) // 10
    return CATEGORIES[block] if 0 <= block < len(CATEGORIES) else "mt_bench"


def _vote(at: Where, row: dict) -> dict:
    question_id = required(at, row, "question_id")
    if isinstance(question_id, bool) or not isinstance(question_id, int):
        raise at.error("question_id", f"expected an integer, got {question_id!r}")
    turn = required(at, row, "turn")
    if turn not in (1, 2) or isinstance(turn, bool):
        raise at.error("turn", f"expected 1 or 2, got {turn!r}")
    winner = required(at, row, "winner")
    if not isinstance(winner, str) or winner not in WINNERS:
        raise at.error("winner", f"expected one of {', '.join(WINNERS)}, got {winner!r}")
    model_a, model_b = text(at, row, "model_a"), text(at, row, "model_b")
    conversations = {name: _turns(at, row, name, turn) for name in ("conversation_a", "conversation_b")}
    users_a, users_b = conversations["conversation_a"][0], conversations["conversation_b"][0]
    if users_a != users_b:
        raise at.error("conversation_b", "its user turns differ from conversation_a's")
    return {
        "key": (question_id, model_a, model_b, turn),
        "question_id": question_id,
        "turn": turn,
        "model_a": model_a,
        "model_b": model_b,
        "verdict": WINNERS[winner],
        "judge": text(at, row, "judge"),
        **conversations,
        "row": row,
        "place": f"{at.file}:{at.line}",
    }


def _turns(at: Where, row: dict, name: str, turn: int) -> tuple[list[str], list[str]]:
    """(user messages, assistant replies) of the first ``turn`` turns, which must alternate user, assistant."""
    messages = required(at, row, name)
    if not isinstance(messages, list) or len(messages) < 2 * turn:
        raise at.error(name, f"expected at least {2 * turn} role/content messages for turn {turn}")
    users, replies = [], []
    for index, message in enumerate(messages[: 2 * turn]):
        role = "user" if index % 2 == 0 else "assistant"
        if not isinstance(message, dict) or message.get("role") != role:
            raise at.error(f"{name}.{index}", f"expected a {role!r} message, got {message!r:.80}")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise at.error(f"{name}.{index}.content", "missing or empty")
        (users if role == "user" else replies).append(content)
    return users, replies


def _answer(replies: list[str], turn: int) -> str:
    return replies[0] if turn == 1 else f"[Turn 1]\n{replies[0]}\n\n[Turn 2]\n{replies[1]}"


def _pair(at: Where, votes: list[dict]) -> Pair:
    first = votes[0]
    question_id, turn = first["question_id"], first["turn"]
    users, replies_a = first["conversation_a"]
    labels = [vote["verdict"] for vote in votes]
    verdict = majority(labels)
    flags = [f"turn:{turn}", f"judges:{','.join(vote['judge'] for vote in votes)}"]
    if verdict is None:
        flags.append("no_majority")
    return build(
        at,
        Pair,
        id=f"mtbench-human-{question_id}-{first['model_a']}-{first['model_b']}-turn{turn}",
        question_id=f"mtbench-{question_id}",
        family="mt_bench_human",
        category=category(question_id),
        instruction=users[turn - 1],
        input="" if turn == 1 else users[0],
        answer1=_answer(replies_a, turn),
        answer2=_answer(first["conversation_b"][1], turn),
        source1=first["model_a"],
        source2=first["model_b"],
        verdict=verdict,
        annotators=labels,
        teacher="mt-bench-experts",
        flags=flags,
    )
