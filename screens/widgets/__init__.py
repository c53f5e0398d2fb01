"""Widgets of the Textual wizard, one idea a module."""
