from app.pagination import paginate

ITEMS = list(range(1, 8))


def test_first_page():
    assert paginate(ITEMS, 1, 3) == [1, 2, 3]


def test_last_page():
    assert paginate(ITEMS, 3, 3) == [7]


def test_past_the_end():
    assert paginate(ITEMS, 4, 3) == []
