"""Accounts: users, passwords, sessions, API tokens, sharing, audit and attempt limits."""
