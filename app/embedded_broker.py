"""The embedded broker of `make run`: kombu's filesystem transport with atomic writes.

kombu's own `_put` creates the message file and then writes it, so a worker listing the
folder in between takes an empty file and stops with a JSON error (seen under load). Here a
message is written beside the queue folder and renamed into it: a reader sees it whole or
not at all (a rename within one file system is atomic).
"""

import os
import uuid
from pathlib import Path
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        incoming = Path(self.data_folder_out).parent / "incoming"
        incoming.mkdir(exist_ok=True)
        partial = incoming / name
        with open(partial, "wb") as handle:
            handle.write(str_to_bytes(dumps(payload)))
        os.replace(partial, Path(self.data_folder_out) / name)


class Transport(filesystem.Transport):
    Channel = Channel
