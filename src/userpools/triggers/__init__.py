"""Cognito's Lambda triggers: the events (``events``), where each function runs (``config``), calling it
with Cognito's time and failure rules (``invoker``), reading its answer (``answers``), and the encrypted
codes custom senders receive (``sender_codes``)."""
