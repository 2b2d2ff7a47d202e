"""`python -m contract_tests.proxy`: see `contract_tests.proxy.cli`."""

from contract_tests.proxy.cli import main

raise SystemExit(main())
