def paginate(items: list, page: int, size: int) -> list:
    """The items of one page; pages are numbered from 1."""
    start = page * size
    return items[start : start + size]
