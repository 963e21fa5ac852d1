"""The command line `parlsearch`: a thin click layer (app.py: the group and the search commands; fetch.py,
serve.py, workflow.py: the other commands; common.py: options and error handling shared by all) over the
engine (../engine); hit_delivery.py and progress.py are its terminal concerns."""
