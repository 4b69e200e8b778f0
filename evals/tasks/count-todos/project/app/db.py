def connect():
    # TODO: read the URL from settings
    return None
