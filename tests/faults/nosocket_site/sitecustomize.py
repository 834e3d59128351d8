"""Installs the no-network audit hook of ``tests.faults.nosocket`` in every Python
process started with this folder on ``PYTHONPATH`` while ``RELATIONS_NOSOCKET_LOG`` is
set (the offline tests set both; nothing else does)."""

import os

if os.environ.get("RELATIONS_NOSOCKET_LOG"):
    from tests.faults.nosocket_hook import install

    install()
