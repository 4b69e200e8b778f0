def mean(values: list[float]) -> int:
    return sum(values) / len(values)
