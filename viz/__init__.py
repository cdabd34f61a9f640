"""The classroom app: a Solara page built on Mesa's SolaraViz (run `solara run viz/app.py`)."""
