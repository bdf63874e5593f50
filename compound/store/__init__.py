"""The only code that opens SQLite: the ``Store`` (``db``: connection, pragmas, transactions,
settings), composed of one part per aggregate (``log``: the hash-chained log and outbox,
``people``, ``credentials``, ``doors``, ``alarms``), the encrypted face templates (``faces``),
and the numbered migrations (``migrations/``, one explicit ordered list)."""
