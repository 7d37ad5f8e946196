"""Frontends: chat platforms connected to chains (Telegram bots)."""
