class Item:
    # TODO: add a price field
    name = ""
