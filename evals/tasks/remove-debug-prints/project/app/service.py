def order_total(quantities: dict[str, int], prices: dict[str, float]) -> float:
    print("computing total", quantities)
    total = 0.0
    for name, count in quantities.items():
        print("item", name, count)
        total += prices[name] * count
    return total
