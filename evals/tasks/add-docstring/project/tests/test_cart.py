from app.cart import total


def test_total():
    assert total([1.0, 2.0], tax=0.5) == 4.5
