"""Repository tooling: client generation, the drift gate and the spec-change gate."""
