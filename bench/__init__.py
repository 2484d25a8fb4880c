"""The benchmark: ``python -m bench`` runs the real bot against the test fakes and measures it.

The modules:

* :mod:`bench.run` drives the whole run and prints the report;
* :mod:`bench.worker` is the process under test (the bot, or the bare PTB floor);
* :mod:`bench.floor` builds that floor;
* :mod:`bench.fakes` adds timestamps and counters to the fake Bot API;
* :mod:`bench.growth` measures the database paths with few and with a million rows;
* :mod:`bench.report` formats the figures for the terminal and for ``BENCHMARKS.md``.
"""
