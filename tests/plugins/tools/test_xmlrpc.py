"""tools.xmlrpc, XMLRPCController and XMLRPCDispatcher."""

from __future__ import annotations

import xmlrpc.client

import pytest

import cherrypit
from cherrypit.lib import xmlrpcutil
from cherrypit_tools import xmlrpc as plugin_xmlrpc


class Math:
    @cherrypit.expose
    def add(self, a, b):
        return a + b


class Rpc(plugin_xmlrpc.XMLRPCController):
    math = Math()

    @cherrypit.expose
    def echo(self, *args):
        return list(args)

    @cherrypit.expose
    def nothing(self):
        return None

    @cherrypit.expose
    def fails(self):
        raise ValueError("bad input")

    def hidden(self):
        return "not exposed"


class Root:
    rpc = Rpc()


def call(client, method, *params, path="/rpc/"):
    body = xmlrpc.client.dumps(params, methodname=method)
    r = client.post(path, body=body, headers={"Content-Type": "text/xml"})
    assert r.status == 200
    assert r.header("Content-Type", "").startswith("text/xml")
    return xmlrpc.client.loads(r.body)[0][0]


@pytest.fixture
def client(mount):
    return mount(Root())


def test_calls_and_nested_methods(client):
    assert call(client, "echo", 1, "two", [3]) == [1, "two", [3]]
    assert call(client, "math.add", 2, 3) == 5


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("missing", 'method "missing" is not supported'),
        ("hidden", 'method "hidden" is not supported'),
        ("fails", "bad input"),
    ],
)
def test_errors_are_faults_with_status_200(client, method, message):
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(client, method)
    assert info.value.faultCode == 1
    assert message in info.value.faultString


def test_garbage_body_is_a_fault(client):
    r = client.post("/rpc/", body=b"not xml", headers={"Content-Type": "text/xml"})
    assert r.status == 200
    assert r.header("Content-Type") == "text/xml"  # as CherryPy: no charset on a Fault
    with pytest.raises(xmlrpc.client.Fault, match="ERRORMETHOD"):
        xmlrpc.client.loads(r.body)


def test_allow_none_setting(mount):
    client = mount(Root(), {"/rpc": {"tools.xmlrpc.allow_none": True}})
    assert call(client, "nothing") is None
    plain = mount(Root())
    with pytest.raises(xmlrpc.client.Fault, match="None"):
        call(plain, "nothing")


def test_rpc2_prefix_with_the_dispatcher(mount):
    client = mount(Root(), {"/": {"request.dispatch": xmlrpcutil.XMLRPCDispatcher()}})
    assert call(client, "echo", "via RPC2", path="/RPC2/rpc/") == ["via RPC2"]


def test_helpers_and_compat_names(site_reset):
    assert xmlrpcutil.patched_path("/RPC2/a") == "/a/"
    assert xmlrpcutil.patched_path("/b/") == "/b/"
    assert xmlrpcutil.respond is plugin_xmlrpc.respond
    assert cherrypit._cptools.XMLRPCController is plugin_xmlrpc.XMLRPCController
    assert isinstance(cherrypit.tools.xmlrpc, cherrypit.ErrorTool)
