"""Helpers the tests share: doubles of outside systems, fixtures' building blocks, polling."""
