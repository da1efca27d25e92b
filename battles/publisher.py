"""Publishing one generation's entries on the token channel, exactly, across outages."""

import logging
import time

from django.conf import settings

from battles.channel import ChannelUnavailable, EntryKind, get_channel

logger = logging.getLogger(__name__)

# While the token channel is unreachable, how often a run tries it again.
CHANNEL_RETRY_SECONDS = 1.0
# How long the end of a stream is retried before viewers are left to the database.
END_PUBLISH_PATIENCE = 5.0


class StreamPublisher:
    """One run's entries on the token channel, kept exact across a channel outage.

    While the channel is unreachable the deltas are only collected. When it answers
    again -- or when the stream is shorter than what this run put in (Redis restarted
    and lost it) -- viewers get a ``reset`` and the whole text so far, so what they show
    is exactly the answer. Viewers who miss the end altogether read it from the database.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self._channel = get_channel()
        self._parts: list[str] = []
        # Length the stream must have at least after our next entry; less means lost.
        self._expected = 1
        self._behind = False
        self._retry_at = 0.0

    def reset(self) -> None:
        self._send("reset")

    def thinking(self) -> None:
        """That the side thinks, never what (a trace could name its maker)."""
        if not self._behind:
            self._send("thinking")

    def delta(self, text: str) -> None:
        self._parts.append(text)
        if not self._behind:
            self._send("delta", text)
        if self._behind and time.monotonic() >= self._retry_at:
            self._resync()

    def end(self, status: str) -> None:
        deadline = time.monotonic() + END_PUBLISH_PATIENCE
        while True:
            if self._behind:
                self._resync()
            if not self._behind and self._send("end", status):
                return
            if time.monotonic() + CHANNEL_RETRY_SECONDS > deadline:
                logger.warning("%s: end not published, viewers will read the database", self.key)
                return
            time.sleep(CHANNEL_RETRY_SECONDS)

    def _resync(self) -> None:
        self._behind = False
        if self._send("reset") and self._parts:
            self._send("delta", "".join(self._parts))

    def _send(self, kind: EntryKind, text: str = "") -> bool:
        """True when the entry joined an intact stream; otherwise marks the run behind."""
        try:
            length = self._channel.publish(self.key, kind, text)
        except ChannelUnavailable as exc:
            if not self._behind:
                logger.warning("%s: token channel unavailable (%s)", self.key, exc)
            self._behind, self._retry_at = True, time.monotonic() + CHANNEL_RETRY_SECONDS
            return False
        lost = length < self._expected
        # Trimming keeps a stream at ARENA_STREAM_MAXLEN entries, never fewer.
        self._expected = min(length + 1, settings.ARENA_STREAM_MAXLEN)
        if lost:
            logger.warning("%s: token stream was lost (channel restarted); resending", self.key)
            self._behind, self._retry_at = True, 0.0
        return not lost
