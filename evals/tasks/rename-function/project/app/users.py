USERS = {1: "ada", 2: "grace"}


def getUser(user_id: int) -> str:
    return USERS[user_id]
