"""The front-desk page and the HTTP API, both on the same engine: ``unitcalc serve``.

Needs the ``web`` extra (``pip install 'unitcalc[web]'``): FastAPI for the API and its
OpenAPI document, uvicorn to serve it.
"""
