"""A demo site written the CherryPy way, served by cherrypit.

Run it from the repository root::

    python -m examples.demo                      # http://127.0.0.1:8080/
    DEMO_PORT=9000 python -m examples.demo

The application is :data:`examples.demo.app.root`; its per-path config is
``examples/demo/site.conf``.
"""
