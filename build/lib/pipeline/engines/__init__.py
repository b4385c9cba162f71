"""Where pair pages are rendered: the local process pool (in site.build) or a Dask cluster."""
