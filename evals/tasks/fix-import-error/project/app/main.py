from app.helpers import format_name


def badge(first: str, last: str) -> str:
    return f"[{format_name(first, last)}]"
