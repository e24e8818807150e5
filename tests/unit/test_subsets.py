from components.subsets import spread


def test_spread_takes_evenly_spaced_items_in_order():
    items = [f"family{i // 10}-{i}" for i in range(40)]  # stored family by family
    picked = spread(items, 8)
    assert picked == [items[i] for i in range(0, 40, 5)]
    assert {p.split("-")[0] for p in picked} == {"family0", "family1", "family2", "family3"}


def test_spread_keeps_everything_when_asked_for_as_many_or_none():
    assert spread([1, 2, 3], 3) == [1, 2, 3]
    assert spread([1, 2, 3], None) == [1, 2, 3]
    assert spread([], 5) == []
