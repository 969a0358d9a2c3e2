"""Redis session storage for cherrypit (being written)."""
