"""cherrypit's built-in toolbox (placeholder while the tools are being written)."""
