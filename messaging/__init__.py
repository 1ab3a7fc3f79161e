"""What every kind of chat shares (1:1 chats and groups build on it, it imports neither).

- :mod:`messaging.rules`: what a message may hold (content, ``client_id``) and how far it may
  be forwarded.
- :mod:`messaging.sending`: the one send pipeline (one send or a batch; rate limit, checks,
  storage, retries by ``client_id``, pushes) and forwarding, for every face and both kinds.
"""
