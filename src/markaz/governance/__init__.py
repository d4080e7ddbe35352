"""Membership, accession votes, chair rotation and sharing circles."""
