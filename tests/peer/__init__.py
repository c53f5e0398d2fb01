"""Comparisons with other policy checkers, run outside the project's environment and stored."""
