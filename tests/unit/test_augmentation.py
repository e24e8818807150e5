from components.training.collate import IGNORE, collate, length_grouped_batches
from components.training.examples import Augment, epoch_examples, view
from tests.factories import arithmetic_pairs, make_pair


def test_swap_augmentation_never_mutates_the_stored_records():
    pairs = arithmetic_pairs(30)
    before = [p.model_dump() for p in pairs]
    augment = Augment(swap_prob=0.5, reference_drop=0.0, seed=1)
    for epoch in range(3):
        epoch_examples(pairs, epoch, "judgeops", "judgelm", augment)
    assert [p.model_dump() for p in pairs] == before


def test_unswapped_items_carry_the_same_labels_in_every_epoch():
    pairs = arithmetic_pairs(40)
    augment = Augment(swap_prob=0.5, reference_drop=0.0, seed=3)
    first = epoch_examples(pairs, 0, "judgeops", "judgelm", augment)
    second = epoch_examples(pairs, 1, "judgeops", "judgelm", augment)
    unswapped = [(a, b) for a, b in zip(first, second, strict=True) if not a.swapped and not b.swapped]
    assert unswapped, "with p=0.5 over 40 items some stay unswapped in both epochs"
    assert all(a.target == b.target and a.messages == b.messages for a, b in unswapped)
    assert any(a.swapped != b.swapped for a, b in zip(first, second, strict=True))


def test_a_swapped_example_trades_answers_scores_and_mentions():
    pair = make_pair()
    always = Augment(swap_prob=1.0, reference_drop=0.0)
    shown, swapped, _ = view(pair, 0, 0, always)
    assert swapped
    assert (shown.answer1, shown.score1, shown.score2) == (pair.answer2, pair.score2, pair.score1)
    example = epoch_examples([pair], 0, "judgeops", "judgelm", always)[0]
    assert example.target.startswith("2 9\n")
    assert "Assistant 2 is right" in example.target


def test_reference_drop_removes_the_reference_at_the_given_rate():
    pairs = arithmetic_pairs(400)
    examples = epoch_examples(pairs, 0, "judgeops", "judgelm", Augment(swap_prob=0.0, reference_drop=0.3, seed=5))
    dropped = sum(not e.with_reference for e in examples) / len(examples)
    assert 0.22 < dropped < 0.38
    kept = next(e for e in examples if e.with_reference)
    gone = next(e for e in examples if not e.with_reference)
    assert "Reference" in kept.messages[-1]["content"]
    assert "Reference" not in gone.messages[-1]["content"]


def test_collate_pads_to_the_batch_longest_and_masks_padding():
    rows = [
        {"input_ids": [5, 6, 7], "labels": [IGNORE, 6, 7], "first_line": 1},
        {"input_ids": [8], "labels": [8], "first_line": 1},
    ]
    batch = collate(rows, pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE, 6, 7], [8, IGNORE, IGNORE]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["first_line"].tolist() == [[False, True, False], [True, False, False]]


def test_length_grouped_batches_cover_every_item_once_with_similar_lengths():
    import random

    lengths = [random.Random(i).randint(10, 400) for i in range(200)]
    batches = length_grouped_batches(lengths, 8, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(200))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 120, "rows of a batch should have similar lengths"


def test_a_hidden_reference_trains_on_the_reference_free_label_when_there_is_one():
    pair = make_pair(
        score1=9, score2=2, score1_no_reference=6, score2_no_reference=6, reason_no_reference="Both look fine."
    )
    from components.training.examples import make_example

    with_ref = make_example(pair, "judgeops", "judgelm", with_reference=True)
    without = make_example(pair, "judgeops", "judgelm", with_reference=False)
    assert with_ref.target.startswith("9 2\n")
    assert without.target == "6 6\nBoth look fine."
    assert make_example(make_pair(), "judgeops", "judgelm", with_reference=False).target.startswith("9 2\n")


def test_both_orders_shows_every_pair_twice_as_mirrored_twins():
    pairs = arithmetic_pairs(30)
    augment = Augment(swap_prob=0.0, reference_drop=0.5, seed=2, both_orders=True)
    examples = epoch_examples(pairs, 0, "judgeops", "judgelm", augment)
    assert len(examples) == 2 * len(pairs)
    for pair, (shown, traded) in zip(pairs, zip(examples[::2], examples[1::2], strict=True), strict=True):
        assert (shown.swapped, traded.swapped) == (False, True)
        assert shown.with_reference == traded.with_reference, "reference drop decides once per pair"
        first, second = shown.target.split("\n")[0].split(), traded.target.split("\n")[0].split()
        assert first == second[::-1] == [f"{pair.score1:g}", f"{pair.score2:g}"]
    assert {e.with_reference for e in examples} == {True, False}


def test_score_line_targets_stop_at_the_first_line():
    examples = epoch_examples(arithmetic_pairs(6), 0, "judgeops", "judgelm", Augment(0.5, 0.0), score_line=True)
    assert all("\n" not in e.target and len(e.target.split()) == 2 for e in examples)
    verdicts = epoch_examples(arithmetic_pairs(6), 0, "judgeops_verdict", "pandalm", Augment(0.5, 0.0), score_line=True)
    assert {e.target for e in verdicts} <= {"1", "2", "Tie"}


def test_twins_share_a_batch_and_every_row_is_batched_once():
    import random

    lengths = [random.Random(i).randint(10, 400) for i in range(60)]
    batches = length_grouped_batches(lengths, 8, random.Random(0), twins=2)
    assert sorted(i for b in batches for i in b) == list(range(60))
    for batch in batches:
        assert len(batch) <= 8
        assert all(row ^ 1 in batch for row in batch), "a pair's two orders ride in one batch"


def test_pointwise_epochs_go_through_each_distinct_answer_once():
    from components.training.examples import training_units

    first = make_pair(id="a", answer1="4", answer2="5", score1=9, score2=2)
    second = make_pair(id="b", answer1="6", answer2="4", score1=3, score2=9)  # "4" again, now second
    units = training_units([first, second], "pointwise")
    assert [(u.answer1, u.score1) for u in units] == [("4", 9), ("5", 2), ("6", 3)]
    examples = epoch_examples([first, second], 0, "pointwise", "pointwise", Augment(0.5, 0.0), score_line=True)
    assert [e.target for e in examples] == ["9", "2", "3"]
    assert training_units([first, second], "judgelm") == [first, second]
