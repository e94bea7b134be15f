"""The web console: server-rendered pages for the hotline's people, on the same service layer.

`api.console.mount.install(app)` adds its pages, fragments and static files to the API's app at
`/`; no API route moves. Every page calls `services/` (and `rules/` for who sees what) exactly
as the API routes do.
"""
