# Copyright 2026 Stimmwerk contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Benchmarks; a package so that one benchmark can reuse another's data generators."""
