"""The API's routers, one file per audience."""
