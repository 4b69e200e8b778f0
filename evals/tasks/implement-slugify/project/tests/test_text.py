from app.text import slugify


def test_words():
    assert slugify("Hello World") == "hello-world"


def test_punctuation_and_spaces():
    assert slugify("  Python   Rocks! ") == "python-rocks"


def test_repeated_separators():
    assert slugify("a--b__c") == "a-b-c"
