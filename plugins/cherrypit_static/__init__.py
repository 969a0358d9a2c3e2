"""cherrypit's static plugin (being written)."""
