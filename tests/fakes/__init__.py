"""Fakes of outside services that tests (and benchmarks) run on 127.0.0.1."""
