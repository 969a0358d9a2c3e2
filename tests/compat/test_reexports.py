"""Compat paths name the kernel's own objects: no copies that could drift apart.

``cherrypy.dispatch`` and ``cherrypy._cpdispatch`` are one module in CherryPy, so the
two paths must give the same objects here too; ``lib.reprconf`` is the kernel's
config-file reader; proxies are trusted by one rule everywhere.
"""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit import _cpdispatch
from cherrypit._kernel import dispatch as kernel_dispatch


def test_both_dispatch_paths_name_the_same_objects() -> None:
    assert _cpdispatch.__all__ == cherrypit.dispatch.__all__
    for name in cherrypit.dispatch.__all__:
        assert getattr(_cpdispatch, name) is getattr(cherrypit.dispatch, name), name
        kernel_name = "_PUNCTUATION_TO_UNDERSCORE" if name == "punctuation_to_underscores" else name
        assert getattr(_cpdispatch, name) is getattr(kernel_dispatch, kernel_name), name
    assert _cpdispatch.Dispatcher is cherrypit.dispatch.Dispatcher


def test_plugin_backed_dispatcher_is_one_object_on_both_paths() -> None:
    assert _cpdispatch.XMLRPCDispatcher is cherrypit.dispatch.XMLRPCDispatcher


def test_dispatcher_refuses_a_translate_table_that_is_not_a_dict() -> None:
    # CherryPy validates the table when the dispatcher is made.
    with pytest.raises(ValueError, match="dict"):
        cherrypit.dispatch.Dispatcher(translate="-" * 256)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dict"):
        cherrypit.dispatch.MethodDispatcher(translate="-" * 256)  # type: ignore[arg-type]
    table = str.maketrans("-", "_")
    assert cherrypit.dispatch.Dispatcher(translate=table).translate is table


def test_reprconf_is_the_kernel_config_file_reader() -> None:
    from cherrypit._kernel import config, configfile
    from cherrypit.lib import reprconf

    for name in ("Parser", "as_dict", "unrepr", "modules", "attributes"):
        assert getattr(reprconf, name) is getattr(configfile, name), name
    assert reprconf.Config is config.Config
    assert reprconf.NamespaceSet is config.NamespaceSet
    assert reprconf.text_or_bytes == (str, bytes)


def test_reprconf_helpers_take_cherrypys_keywords() -> None:
    import json

    from cherrypit.lib import reprconf

    assert reprconf.unrepr(s="6 * 7") == 42
    assert reprconf.unrepr("") is None
    assert reprconf.modules(modulePath="json") is json
    assert reprconf.attributes(full_attribute_name="json.dumps") is json.dumps
    with pytest.raises(ImportError):
        reprconf.attributes("json")
