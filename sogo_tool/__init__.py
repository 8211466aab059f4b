"""sogo-tool: administration commands over sogod's own services."""
