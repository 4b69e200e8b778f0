def shout(text: str) -> str:
    return text.upper() + "!"


def whisper(text: str) -> str:
    return text.upper()
