"""Seller Center, the Seller app and the TikTok app: server-rendered pages."""
