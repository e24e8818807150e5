"""Candidate answers from an OpenAI-compatible endpoint (a real HTTP server on 127.0.0.1)."""

import random

from components.config import AnswerEndpoint
from components.data.answers import endpoint_answers
from components.data.families import get_family
from tests.fakes import user_text


def questions(n: int):
    return get_family("arithmetic").questions(random.Random(0), n)


def test_answers_come_back_per_question_failures_are_rejects_and_the_cache_pays_once(fake_server, tmp_path):
    qs = questions(6)
    broken = qs[2].instruction

    def script(n, body):
        if broken in user_text(body):
            return 500
        return 429 if n == 0 else None

    server = fake_server(script=script, reply=lambda body: f"I think it is {len(user_text(body))}.")
    endpoint = AnswerEndpoint(name="fake", base_url=server.url, model="m", max_retries=2, concurrency=3)
    answers, rejects, stats = endpoint_answers(qs, endpoint, 32, tmp_path)
    assert [a.question_id for a in answers] == [q.id for q in qs if q.instruction != broken]
    assert all(a.source == "endpoint:fake" and a.text.startswith("I think") for a in answers)
    assert len(rejects) == 1 and "500" in rejects[0]["reason"] and rejects[0]["record"]["question_id"] == qs[2].id
    assert stats["fake.answers"] == 5 and stats["fake.failed"] == 1 and stats["fake.concurrency"] == 3
    sent = len(server.requests)

    again, _, _ = endpoint_answers(qs, endpoint, 32, tmp_path)
    assert [a.text for a in again] == [a.text for a in answers]
    assert len(server.requests) - sent == 3, "only the failed question is asked again (1 try + 2 retries)"
