"""The application: the endpoints, behind the host guard and the body limit, with the
error handlers, the page's files and the OpenAPI document (``/openapi.json``).

:func:`create_app` assembles it from the pieces of this package; ``unitcalc serve`` runs
it (:mod:`unitcalc.web.server`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import unitcalc

from ..core.codes import CodeTable
from ..engine.payers import PayerProfile
from .endpoints import ServerData, add_endpoints
from .errors import add_error_handlers
from .middleware import BODY_TIMEOUT, MAX_BODY, BodyLimit, HostGuard, host_names

STATIC = Path(__file__).parent / "static"


def create_app(
    *,
    profiles: dict[str, PayerProfile] | None = None,
    profiles_path: str = "",
    codes: CodeTable | None = None,
    max_body: int = MAX_BODY,
    body_timeout: float = BODY_TIMEOUT,
    allowed_hosts: Iterable[str] = (),
) -> FastAPI:
    """The application; ``profiles`` are the payer profiles the page may choose from.

    ``allowed_hosts`` are the names (besides loopback ones) a request's ``Host`` may
    give, such as the address given to ``unitcalc serve --host``."""
    app = FastAPI(
        title="unitcalc",
        version=unitcalc.__version__,
        description="Billable units for timed therapy codes, with the reasoning shown.",
        # The interactive docs pages load their scripts from a CDN, blank without
        # internet access: off. /openapi.json describes the API (docs/web.md).
        docs_url=None,
        redoc_url=None,
    )
    app.state.server_data = ServerData(
        codes=codes if codes is not None else CodeTable.default(),
        profiles=dict(profiles or {}),
        profiles_path=profiles_path,
        page=(STATIC / "index.html").read_bytes(),
    )
    app.add_middleware(BodyLimit, max_body=max_body, body_timeout=body_timeout)
    # Added last, so it runs first: a foreign Host is refused before anything else.
    app.add_middleware(HostGuard, allowed_hosts=host_names(allowed_hosts))
    add_error_handlers(app)
    add_endpoints(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
