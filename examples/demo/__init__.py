"""Notes, a small web application written the CherryPy way and served by cherrypit.

Run it from the repository root::

    python -m examples.demo                      # http://127.0.0.1:8080/
    DEMO_PORT=9000 DEMO_DATA_DIR=./notes-data python -m examples.demo

Modules: :mod:`~examples.demo.app` (mounting and config), :mod:`~examples.demo.pages`
(the HTML pages), :mod:`~examples.demo.api` (the REST API), :mod:`~examples.demo.security`
(passwords, CSRF, logins), :mod:`~examples.demo.store` (SQLite) and
:mod:`~examples.demo.validation`.  Templates are in ``templates/``, styles, scripts and
images in ``static/``, settings in ``site.conf``.
"""
