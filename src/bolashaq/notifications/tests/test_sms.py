from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from bolashaq.notifications.actions import idempotency_key, sms_send
from bolashaq.notifications.models import SmsMessage
from bolashaq.notifications.sms import HttpGatewayBackend, SmsError


class Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Gateway.received.append(
            {
                "auth": self.headers["Authorization"],
                "key": self.headers["Idempotency-Key"],
                "body": json.loads(self.rfile.read(length)),
            }
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
        {
            "auth": "Bearer secret-token",
            "key": Gateway.received[0]["key"],
            "body": {"phone": "+77010000002", "text": "hello"},
        }
    ]
    # A message without a name is one attempt: its key is its own.
    sms_send(phone="+77010000002", text="hello")
    assert len({str(request["key"]) for request in Gateway.received}) == 2


@pytest.mark.django_db
def test_every_attempt_at_one_message_carries_one_idempotency_key(settings, gateway) -> None:
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = gateway
    settings.SMS_GATEWAY_TOKEN = "t"
    for _attempt in range(2):
        sms_send(phone="+77010000002", text="hello", message_name="notice:7")
    sms_send(phone="+77010000002", text="hello", message_name="notice:8")
    keys = [str(request["key"]) for request in Gateway.received]
    assert keys[0] == keys[1] != keys[2]
    # 32 hex characters that tell the gateway nothing, and differ in another deployment.
    assert len(keys[0]) == 32
    assert "notice" not in keys[0]
    settings.SECRET_KEY = "another-deployment-" + "x" * 40
    assert idempotency_key("notice:7") != keys[0]


@pytest.mark.django_db
def test_a_gateway_error_status_is_a_failure(settings) -> None:
    class Refusing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.SMS_BACKEND = "http"
        settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_address[1]}/send"
        settings.SMS_GATEWAY_TOKEN = "t"
        with pytest.raises(SmsError, match="HTTP 503"):
            sms_send(phone="+77010000003", text="hello")
    finally:
        server.shutdown()
    assert SmsMessage.objects.get().error == "SMS gateway refused: HTTP 503"


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


@pytest.mark.django_db
def test_sending_is_audited_with_a_masked_number_and_no_text() -> None:
    from bolashaq.audit.models import AuditEvent

    sms_send(phone="+77012345678", text="Bolashaq: 654321 is your code")
    events = list(AuditEvent.objects.order_by("seq").values("action", "new"))
    assert [e["action"] for e in events] == ["sms.sent"]
    assert events[0]["new"] == {"phone": "+7701*****78", "backend": "outbox", "status": "sent"}
    assert "654321" not in str(events)
    assert "+77012345678" not in str(events)


@pytest.mark.django_db
def test_a_failure_is_audited(settings) -> None:
    from bolashaq.audit.models import AuditEvent

    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/unreachable"
    settings.SMS_GATEWAY_TOKEN = "t"
    with pytest.raises(SmsError):
        sms_send(phone="+77010000003", text="hello")
    failed = AuditEvent.objects.get(action="sms.failed")
    assert failed.new is not None
    assert failed.new["status"] == "failed"


def test_a_production_gateway_log_keeps_no_code(monkeypatch, db) -> None:
    from bolashaq.notifications import actions
    from bolashaq.notifications.models import SmsMessage

    class Gateway:
        name = "http"

        def send(self, *, phone: str, text: str, idempotency_key: str) -> str:
            return "provider-1"

    monkeypatch.setattr(actions, "get_backend", Gateway)
    actions.sms_send(phone="+77011234567", text="Bolashaq: your code is 482913.")
    message = SmsMessage.objects.get()
    assert "482913" not in message.body
    assert message.body == "Bolashaq: your code is ••••••."
