"""The tests' webhook receiver records whole requests only, as an HTTP server would."""
import socket
import time

from tests.webhook_receiver import Receiver


def send_raw(port: int, body: bytes, declared: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\nwebhook-id: msg_1\r\n"
                     + f"Content-Length: {declared}\r\n\r\n".encode() + body)
        if len(body) == declared:
            conn.recv(1024)  # the answer


def test_a_request_cut_short_by_its_sender_is_not_received():
    with Receiver() as receiver:
        send_raw(receiver.port, b'{"a"', declared=20)  # the sender dies mid-body
        time.sleep(0.2)
        assert receiver.count() == 0
        send_raw(receiver.port, b'{"a": 1}', declared=8)
        [whole] = receiver.wait_for(1)
        assert whole.json() == {"a": 1} and whole.webhook_id == "msg_1"
