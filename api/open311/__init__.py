"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over the case engine.

`router` serves `/open311/v2/...` in XML and JSON; the main application includes it.
"""

from api.open311.router import router

__all__ = ["router"]
