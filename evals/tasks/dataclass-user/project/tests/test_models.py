from app.models import User


def test_fields():
    user = User("ada", "ada@example.com")
    assert (user.name, user.email) == ("ada", "ada@example.com")
