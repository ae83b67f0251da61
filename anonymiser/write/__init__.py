"""Writers: Parquet per table, SQL dumps per dialect, the manifest, the atomic output directory."""
