"""Contract tests: any server and the generated client, checked against openapi.yaml."""
