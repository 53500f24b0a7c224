"""Clientela: the backend for working with clients."""
