from app.service import order_total


def test_total():
    assert order_total({"tea": 2}, {"tea": 1.5}) == 3.0
