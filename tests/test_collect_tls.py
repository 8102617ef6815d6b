"""A source reached over https whose TLS fails is named with what failed, in words, not urllib3's retry wrapper."""

import http.server
import ssl
import threading

import pytest
import trustme

from brandpulse.collectors.base import CollectorError
from brandpulse.collectors.http import fetch, new_session


def test_an_https_address_of_a_server_speaking_plain_http_says_so(server):
    url = server.url.replace("http://", "https://") + "/feed"

    with pytest.raises(CollectorError) as caught:
        fetch(new_session(), "feed acme", "GET", url)

    # Was: "... HTTPSConnectionPool(host=..., port=...): Max retries exceeded with url: /feed (Caused by SSLError(
    # SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)')))", the address twice.
    message = str(caught.value)
    assert message == (f"feed acme: request to {url} failed: the server does not speak TLS (https) there; is the "
                       "address http://, or the port another one?; the next run retries")


@pytest.fixture
def untrusted_tls_server():
    """A real TLS server on 127.0.0.1 whose certificate no system store trusts (its CA is made here)."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/feed"
    httpd.shutdown()
    httpd.server_close()


def test_an_untrusted_certificate_is_named_as_such(untrusted_tls_server):
    with pytest.raises(CollectorError) as caught:
        fetch(new_session(), "feed acme", "GET", untrusted_tls_server)

    message = str(caught.value)
    assert f"feed acme: request to {untrusted_tls_server} failed: its TLS certificate is not trusted (" in message
    assert "HTTPSConnectionPool" not in message and message.count("127.0.0.1") == 1
