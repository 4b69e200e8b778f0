from app.core import ping


def test_ping():
    assert ping() == 'pong'
