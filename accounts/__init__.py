"""Subscribers' accounts as features: the service password (``passwords``: change, temporary
password, lockouts and rate limits), caller verification for calls from another number
(``verification``), and the import of accounts from billing (``importer``)."""
