"""cherrypit's sessions plugin (being written)."""
