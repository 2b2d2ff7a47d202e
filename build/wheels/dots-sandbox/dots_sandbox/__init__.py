"""A local, stateful, durable implementation of openapi.yaml (the Dots confirm lifecycle)."""
