"""Publish: what the registry shows the outside world: the JSON catalog views, the
reference document (Markdown and HTML), and OpenAPI error responses."""
