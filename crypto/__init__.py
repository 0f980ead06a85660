"""Pure cryptographic primitives for the ballot core.

Imports nothing of the project: only the standard library, PyNaCl (libsodium),
``cryptography`` and gmpy2. Every module has published test vectors where they exist
and property tests (valid passes, any mutation fails).
"""
