from app.users import getUser


def profile(user_id: int) -> str:
    return f"<h1>{getUser(user_id)}</h1>"
