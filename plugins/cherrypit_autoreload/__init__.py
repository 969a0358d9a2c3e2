"""cherrypit's autoreload plugin (being written)."""
