def total(prices: list[float], tax: float = 0.0) -> float:
    return round(sum(prices) * (1 + tax), 2)
