from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from bolashaq.notifications.actions import sms_send
from bolashaq.notifications.models import SmsMessage
from bolashaq.notifications.sms import HttpGatewayBackend, SmsError


class Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Gateway.received.append(
            {"auth": self.headers["Authorization"], "body": json.loads(self.rfile.read(length))}
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "gw-1"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()


@pytest.mark.django_db
def test_outbox_backend_keeps_the_message() -> None:
    message = sms_send(phone="+77010000001", text="Код: 123456")
    assert SmsMessage.objects.get(pk=message.pk).status == "sent"
    assert message.backend == "outbox"


@pytest.mark.django_db
def test_http_gateway_posts_with_the_token(settings, gateway) -> None:
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = gateway
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    message = sms_send(phone="+77010000002", text="hello")
    assert message.provider_id == "gw-1"
    assert Gateway.received == [
        {"auth": "Bearer secret-token", "body": {"phone": "+77010000002", "text": "hello"}}
    ]


@pytest.mark.django_db
def test_unreachable_gateway_is_logged_as_failed(settings) -> None:
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/unreachable"
    settings.SMS_GATEWAY_TOKEN = "t"
    with pytest.raises(SmsError):
        sms_send(phone="+77010000003", text="hello")
    assert SmsMessage.objects.get().status == "failed"


def test_gateway_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        HttpGatewayBackend("file:///etc/passwd", "t", 1)
