"""``parlsearch serve``: the local web page (see search/web/app.py), registered lazily from app.py.

This module imports only click, so that without the optional `web` extra the command still exists and says
how to install what it needs instead of vanishing from --help.
"""
from __future__ import annotations

import ipaddress
import sys

import click

from .common import index_option

#: parlsearch is not published on a package index: the extra installs from a checkout of its sources.
INSTALL_HINT = "pip install '.[web]' in parlsearch's source directory (or: pip install flask waitress)"
LOOPBACK = "127.0.0.1"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@index_option
@click.option("--host", default=LOOPBACK, show_default=True,
              help="Address to listen on. Anything but a loopback address exposes the page, without "
                   "authentication, to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0: any free port.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests for this host name (repeatable): the name a reverse proxy or other "
                   "machines use. Requests naming any other host are refused (DNS rebinding).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser.")
def serve_command(index_dir, host, port, allow_hosts, open_browser):
    """A local web page over the index: search with facets, documents, similar questions, JSON and CSV.

    Read-only; stops with Ctrl-C. Answers requests for 127.0.0.1, localhost, [::1] and the --host address
    only, unless --allow-host names another.
    """
    try:
        from ..web.app import create_app, make_server
    except ImportError as e:
        click.echo("parlsearch: error: `serve` needs the optional web stack (%s); install it with: %s"
                   % (e.name or e, INSTALL_HINT), err=True)
        sys.exit(2)
    from .app import _open_engine, fail
    if not _is_loopback(host):
        click.echo("parlsearch: warning: listening on %s: the page has NO authentication; anyone who can reach "
                   "this address can read the index." % host, err=True)
    engine = _open_engine(index_dir)
    app = create_app(engine.ix.storage.folder if engine.ix is not None else index_dir, engine)
    try:
        server = make_server(app, host, port, allow_hosts=allow_hosts)
    except OSError as e:
        engine.close()
        fail("cannot listen on %s:%d: %s" % (host, port, e.strerror or e))
    shown = "[%s]" % host if ":" in host else host
    url = "http://%s:%d/" % (shown, server.server_port)
    click.echo("parlsearch: serving %s at %s (Ctrl-C to stop)" % (engine.location, url), err=True)
    click.echo(url)
    if open_browser:
        import webbrowser
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["parlsearch"].close()
