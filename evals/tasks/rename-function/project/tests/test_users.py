from app.users import get_user
from app.views import profile


def test_get_user():
    assert get_user(1) == "ada"


def test_profile():
    assert profile(2) == "<h1>grace</h1>"
