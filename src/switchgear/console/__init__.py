"""The operator console at /console: server-rendered pages (Jinja2) with htmx for partial
updates and uPlot for charts, every asset shipped in the package (see static/VENDORED.md)."""
