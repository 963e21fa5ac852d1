"""The web page and JSON API (`parlsearch serve`): a Flask app (app.py) over a pool of engines (engines.py),
its form and filters (form.py), facets (facets.py), CSV downloads (csv_download.py), served by waitress with
limits (server.py). Flask and waitress are the optional extra `web`."""
