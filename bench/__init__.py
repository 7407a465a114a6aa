"""Benchmarks for userpools: a load generator for any Cognito-compatible endpoint (``loadgen.py``) and the
cost of the cryptography one sign-in cannot avoid (``crypto_floor.py``). Scripts, not tests: see README.md."""
