"""The bus contract: the topic scheme, the message codecs (bounded decoding, signed door
commands) and the broker ACL each role gets. Pure: no I/O library is imported here."""
