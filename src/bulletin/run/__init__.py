"""Running many builds: the worker pool, the executors (this machine or a Dask cluster), where a
batch's outputs go, and the warm child process of a single build."""
