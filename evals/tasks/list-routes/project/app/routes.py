from app.views import health, home, user_detail

routes = [
    Route("/", home),
    Route("/users/{user_id}", user_detail),
    Route("/health", health, methods=["GET"]),
]
