from app.main import badge


def test_badge():
    assert badge("Ada", "Lovelace") == "[LOVELACE, Ada]"
