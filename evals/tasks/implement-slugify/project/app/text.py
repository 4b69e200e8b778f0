def slugify(title: str) -> str:
    """Lower-case words joined by single hyphens, punctuation dropped."""
    raise NotImplementedError
