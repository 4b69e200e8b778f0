# TODO: paginate
def index():
    return "index"  # TODO: use a template


def detail(item_id):
    return f"item {item_id}"
