"""`python -m contract_tests.proxy`: see `contract_tests.proxy.cli`."""

from .cli import main

raise SystemExit(main())
