from app.prices import discount


def test_no_discount():
    assert discount(10.0, 0) == 10.0


def test_half_price():
    assert discount(10.0, 50) == 5.0


def test_discount_rounding():
    assert discount(0.29, 0) == 0.29
