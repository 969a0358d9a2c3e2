"""cherrypit's templates plugin (being written)."""
