"""The HTTP front: uvicorn's protocol with the sandbox's limits (`protocol`), and what it knows of an app (`app`)."""
