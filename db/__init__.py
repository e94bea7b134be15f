"""The database layer, at the bottom of the house: engine and dialect helpers (`db.engine`),
every SQL table (`db.tables` and the `*_tables` modules beside it, all gathered on one metadata
by `db.schema`), and the demo seed. Nothing here imports from the layers above.
"""
