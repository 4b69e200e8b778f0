def greeting(name: str) -> str:
    return "<p>Hello " + name + "</p>"
