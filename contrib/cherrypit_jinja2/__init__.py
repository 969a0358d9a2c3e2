"""Jinja2 engine for cherrypit templates (being written)."""
