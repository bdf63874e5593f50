"""The only code that opens SQLite: the ``Store`` (connection, pragmas, transactions, the
hash-chained log and outbox, people, credentials, doors, alarms), the encrypted face templates,
and the numbered migrations (``migrations/``, one explicit ordered list)."""
