"""The request path: the ASGI app (`pipeline`) and what it checks and runs for each request."""
