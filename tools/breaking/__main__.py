"""`python -m tools.breaking`: what `make check-breaking` runs."""

from tools.breaking.cli import main

raise SystemExit(main())
