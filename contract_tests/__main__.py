"""`python -m contract_tests suite|proxy ...`: the `dots-contract` command (see `contract_tests.command`)."""

from .command import main

raise SystemExit(main())
