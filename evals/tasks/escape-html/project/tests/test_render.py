from app.render import greeting


def test_plain_name():
    assert greeting("Ada") == "<p>Hello Ada</p>"
