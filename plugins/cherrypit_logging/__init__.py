"""cherrypit's logging plugin (being written)."""
