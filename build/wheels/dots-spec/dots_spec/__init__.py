"""openapi.yaml as data: the one place that reads, resolves and compiles the spec.

Every other part (the sandbox, the contract suite, the tools, the bench and the tests) reads the spec
through this package, and this package imports none of them (ARCHITECTURE.md, checked by
tests/test_architecture.py). Its modules, by concept:

- :mod:`dots_spec.document`: the file's location and parsing (`load_spec`, `parse_spec`);
- :mod:`dots_spec.refs`: local `$ref` resolution and JSON pointers;
- :mod:`dots_spec.operations`: the HTTP methods and every (path, method, operation);
- :mod:`dots_spec.validators`: JSON Schema validators compiled from the spec's schemas;
- :mod:`dots_spec.version`: `info.version`, the first three numbers of the generated package's version.
"""
