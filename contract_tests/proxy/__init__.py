"""A validating reverse proxy: every exchange with a Dots server, and the lifecycle across them, judged by openapi.yaml.

`forwarding` passes each exchange on unchanged and records it; `judging` judges one request
(the spec's schemas) and its answer (schemathesis' own checks); `history` applies the rules of
`contract_tests.lifecycle_rules` across exchanges; `verdict` puts them together per exchange;
`webhooks` forwards and judges deliveries; `reports` logs, writes NDJSON and JUnit; `cli` is
`python -m contract_tests.proxy`.
"""
