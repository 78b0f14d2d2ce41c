"""Analysis of COP/UNTOC resolution recommendations (Chinese text)."""

__version__ = "0.1.0"
