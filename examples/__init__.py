"""Example applications for cherrypit (run them from the repository root)."""
