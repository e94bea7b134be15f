"""The `hotline` command line: run the dev stack and the worker, and work cases as an operator."""
