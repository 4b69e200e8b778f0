def discount(price: float, percent: int) -> float:
    return int(price * (100 - percent)) / 100
