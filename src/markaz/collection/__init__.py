"""Intake: validate what members submit, resolve releasability, store it in one transaction."""
