"""``unitcalc serve``: the front-desk page and the HTTP API (:mod:`unitcalc.web`) under
uvicorn. The address is tried before the server starts, so that a port in use is an
input error (exit code 2) with the fix, not a traceback.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import click

from .config import envvar
from .shared import InputError, _table_options

SERVE_EXAMPLES = """Examples:

\b
  unitcalc serve
  unitcalc serve --port 8080 --payers docs/payers.toml
  unitcalc serve --host 0.0.0.0 --allow-host billing.example.org --workers 2
"""


@click.command(epilog=SERVE_EXAMPLES)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port."
)
@click.option(
    "--payers",
    "payers_file",
    envvar=envvar("payers"),
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Payer profiles the page and the API may use (see docs/payers.md).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes serving requests.  [default: one per core]",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Another name clients reach the server by (its Host header); loopback names "
    "and --host are always allowed. Repeatable.",
)
@_table_options
def serve(
    host: str,
    port: int,
    payers_file: Path | None,
    workers: int | None,
    allowed_hosts: tuple[str, ...],
    codes_file: Path | None,
    definitions: tuple[str, ...],
) -> None:
    """Start the front-desk page and the HTTP API (needs: pip install 'unitcalc[web]').

    The page and the API listen on this machine only (127.0.0.1) unless --host says
    otherwise, and answer only requests addressed to a loopback name, --host or an
    --allow-host name. An address it cannot listen on (a port in use) exits 2. --codes
    and --define extend the code table the page and the API count by.
    """
    try:
        import uvicorn

        from ..web.server import (
            ENV_CODES,
            ENV_DEFINE,
            ENV_HOSTS,
            ENV_PAYERS,
            FACTORY,
            uvicorn_options,
        )

        # Found, not imported: with several workers only they load the application.
        if importlib.util.find_spec("fastapi") is None:
            raise ModuleNotFoundError(name="fastapi")
    except ImportError as exc:
        raise InputError(
            f"unitcalc serve needs the web extra ({exc.name} is missing): "
            "pip install 'unitcalc[web]'"
        ) from exc
    from ..core.definitions import extended_table
    from ..engine.payers import load_profiles

    profiles = load_profiles(payers_file) if payers_file else {}  # errors show here, once
    codes = extended_table(codes_file, definitions)
    names = [host, *allowed_hosts]
    workers = workers or os.cpu_count() or 1
    options = uvicorn_options(host, port)
    _check_address(host, port)
    click.echo(f"unitcalc: open http://{host}:{port}/ in a browser; Ctrl+C stops", err=True)
    try:
        if workers == 1:
            from ..web.app import create_app

            app = create_app(
                profiles=profiles,
                profiles_path=str(payers_file or ""),
                codes=codes,
                allowed_hosts=names,
            )
            uvicorn.run(app, **options)
            return
        # Each worker process builds its own application from these.
        os.environ[ENV_PAYERS] = str(payers_file.resolve()) if payers_file else ""
        os.environ[ENV_HOSTS] = ",".join(names)
        os.environ[ENV_CODES] = str(codes_file.resolve()) if codes_file else ""
        os.environ[ENV_DEFINE] = "\n".join(definitions)
        uvicorn.run(FACTORY, factory=True, workers=workers, **options)
    except SystemExit as exc:
        # uvicorn exits 3 when it cannot start (the port taken since the check above).
        if exc.code == 3:
            raise InputError(
                f"the server could not start on {host}:{port}{_port_hint(port)}"
            ) from None
        raise


def _port_hint(port: int) -> str:
    return f"; choose another port with --port, e.g. --port {port + 1 if port < 65535 else 8000}"


def _check_address(host: str, port: int) -> None:
    """An input error (exit 2) when the server could not listen on ``host:port``: the
    port is taken, reserved, or the address is not this machine's."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"--host {host}: not an address of this machine ({exc})") from None
    with socket.socket(family, kind, proto) as probe:
        # As the server will: an old connection in TIME_WAIT does not block the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                problem = f"port {port} on {host} is in use by another program"
            elif exc.errno == errno.EACCES:
                problem = f"port {port} needs administrator rights (ports below 1024 do)"
            else:
                problem = f"cannot listen on {host}:{port} ({exc.strerror})"
            raise InputError(f"{problem}{_port_hint(port)}") from None
