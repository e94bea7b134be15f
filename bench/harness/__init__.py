"""What every benchmark needs and none of them measures.

* `options`: the shared command-line options and the progress lines on stderr;
* `database`: a temporary SQLite file or a given URL, created, migrated and seeded;
* `temporal`: the in-memory dev server of temporal-dev.yml and its client;
* `machine`: CPU of this process, the dev server and the machine; resident memory;
* `timing`: nearest-rank percentiles and timed calls;
* `load`: bounded concurrency and rounds alternating with a baseline;
* `report`: the figures as JSON or as a table, with CJK-aware columns;
* `synthetic`: the shares and columns the scale benchmarks' synthetic cases share.
"""
