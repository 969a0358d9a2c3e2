"""The toolbox tests use the `mount`, `client` and `error_log` fixtures of cherrypit.testing."""
