def format_name(first: str, last: str) -> str:
    return f"{last.upper()}, {first}"
