"""The run machinery, in one place: the stages' registry and the order they
run in (``stages``), the caches and their fingerprints (``cache``), the
worker processes, data shared with them and the garbage-collector policy
(``parallel``). The stages themselves are plain functions from tables to
tables; nothing outside this package forks, pauses the collector or
pickles.
"""
