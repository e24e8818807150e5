"""Batching by shared prompt start (logprob mode): every prompt read once, the shared start really shared."""

from components.judges.logprob import MIN_SHARED, shared_prefix_batches

QUESTION = list(range(100, 100 + MIN_SHARED + 4))  # a start long enough to share


def prompts() -> list[list[int]]:
    answers = [QUESTION + [1, 2, 3], QUESTION + [1, 9], QUESTION + [7]]
    other = [list(range(500, 520)) + [5], list(range(500, 520)) + [6, 6]]
    short = [[1, 2], [3]]  # nothing in common with anything
    return answers + other + short


def test_every_prompt_is_in_exactly_one_batch_of_at_most_batch_size():
    encoded = prompts()
    for size in (1, 2, 3, 16):
        batches = shared_prefix_batches(encoded, size)
        indices = [i for batch, _ in batches for i in batch]
        assert sorted(indices) == list(range(len(encoded)))
        assert all(len(batch) <= size for batch, _ in batches)


def test_prompts_of_one_question_share_their_start_and_keep_a_token_each():
    encoded = prompts()
    batches = dict((tuple(sorted(batch)), shared) for batch, shared in shared_prefix_batches(encoded, 16))
    assert batches[(0, 1, 2)] == len(QUESTION)  # up to where the answers differ
    assert batches[(3, 4)] == 20
    assert batches[(5, 6)] == 0  # short prompts with nothing in common are batched plainly


def test_a_prompt_that_is_another_ones_start_keeps_one_token_to_read():
    encoded = [QUESTION, QUESTION + [4, 5]]
    [(batch, shared)] = shared_prefix_batches(encoded, 8)
    assert sorted(batch) == [0, 1] and shared == len(QUESTION) - 1


def test_a_batch_of_one_shares_nothing():
    encoded = prompts()
    assert all(shared == 0 for batch, shared in shared_prefix_batches(encoded, 1))
