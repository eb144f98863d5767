"""The embedded broker never hands a worker a half-written message."""

import threading

from kombu import Connection, Queue

from app.tasks import EMBEDDED_TRANSPORT, broker_options


def test_a_consumer_never_reads_a_message_being_written(tmp_path):
    options = broker_options("filesystem://", str(tmp_path / "broker"))
    queue = Queue("stress", routing_key="stress")
    payload = {"body": "x" * 200_000}  # large enough that writing it takes a while
    count, received, errors = 150, [], []

    def produce():
        with Connection("filesystem://", transport=EMBEDDED_TRANSPORT, transport_options=options) as conn:
            producer = conn.Producer(serializer="json")
            for n in range(count):
                producer.publish({**payload, "n": n}, routing_key="stress", declare=[queue])

    def consume():  # polling without pause: it lists the folder while files are being written
        with Connection("filesystem://", transport=EMBEDDED_TRANSPORT,
                        transport_options={**options, "polling_interval": 0}) as conn:
            simple = conn.SimpleQueue(queue)
            try:
                while len(received) < count:
                    try:
                        message = simple.get(timeout=10)
                    except simple.Empty:
                        break
                    received.append(message.payload["n"])
                    message.ack()
            except Exception as exc:  # the stock transport fails here with a JSON error
                errors.append(exc)
            finally:
                simple.close()

    consumer = threading.Thread(target=consume)
    consumer.start()
    produce()
    consumer.join(60)
    assert errors == [] and sorted(received) == list(range(count))
